import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeRule, IptablesError, nodeCacheRules } from './iptables.ts'
import { iptablesFailureLine } from './networking.ts'

// The lines a failed rule check or delete logs, as node-cache words them (searched for by
// operators' log alerts); a real failure needs a broken iptables, so the text is checked here.
test('iptables failures are logged with node-cache\'s ", error - " wording', () => {
  const rule = describeRule(nodeCacheRules(['169.254.20.10'], 53, 8080)[0]!)
  const err = new IptablesError('iptables -w 5 -t raw -C ...: exit code 4', 'iptables')
  assert.equal(iptablesFailureLine(`Error checking/adding iptables rule ${rule}`, err),
    'Error checking/adding iptables rule {raw PREROUTING [-p tcp -d 169.254.20.10 --dport 53 ' +
    '-j NOTRACK -m comment --comment NodeLocal DNS Cache: skip conntrack]}, error - ' +
    'iptables -w 5 -t raw -C ...: exit code 4')
  assert.equal(iptablesFailureLine(`Failed deleting iptables rule ${rule}`, err),
    `Failed deleting iptables rule ${rule}, error - iptables -w 5 -t raw -C ...: exit code 4`)
})
