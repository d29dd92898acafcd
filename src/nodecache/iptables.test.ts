import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeRule, isLockedError, nodeCacheRules } from './iptables.ts'

const skip = ['-m', 'comment', '--comment', 'NodeLocal DNS Cache: skip conntrack']
const allow = ['-m', 'comment', '--comment', 'NodeLocal DNS Cache: allow DNS traffic']

test('node-cache rule set for one IP, in its order', () => {
  const ip = '169.254.20.10'
  const rules = nodeCacheRules([ip], 53, 8080)
  assert.deepEqual(rules.map(({ skipsDnat: _, ...r }) => r), [
    { table: 'raw', chain: 'PREROUTING', args: ['-p', 'tcp', '-d', ip, '--dport', '53', '-j', 'NOTRACK', ...skip] },
    { table: 'raw', chain: 'PREROUTING', args: ['-p', 'udp', '-d', ip, '--dport', '53', '-j', 'NOTRACK', ...skip] },
    { table: 'filter', chain: 'INPUT', args: ['-p', 'tcp', '-d', ip, '--dport', '53', '-j', 'ACCEPT', ...allow] },
    { table: 'filter', chain: 'INPUT', args: ['-p', 'udp', '-d', ip, '--dport', '53', '-j', 'ACCEPT', ...allow] },
    { table: 'raw', chain: 'OUTPUT', args: ['-p', 'tcp', '-s', ip, '--sport', '53', '-j', 'NOTRACK', ...skip] },
    { table: 'raw', chain: 'OUTPUT', args: ['-p', 'udp', '-s', ip, '--sport', '53', '-j', 'NOTRACK', ...skip] },
    { table: 'filter', chain: 'OUTPUT', args: ['-p', 'tcp', '-s', ip, '--sport', '53', '-j', 'ACCEPT', ...allow] },
    { table: 'filter', chain: 'OUTPUT', args: ['-p', 'udp', '-s', ip, '--sport', '53', '-j', 'ACCEPT', ...allow] },
    { table: 'raw', chain: 'OUTPUT', args: ['-p', 'tcp', '-d', ip, '--dport', '53', '-j', 'NOTRACK', ...skip] },
    { table: 'raw', chain: 'OUTPUT', args: ['-p', 'udp', '-d', ip, '--dport', '53', '-j', 'NOTRACK', ...skip] },
    { table: 'raw', chain: 'OUTPUT', args: ['-p', 'tcp', '-d', ip, '--dport', '8080', '-j', 'NOTRACK', ...skip] },
    { table: 'raw', chain: 'OUTPUT', args: ['-p', 'tcp', '-s', ip, '--sport', '8080', '-j', 'NOTRACK', ...skip] },
  ])
  // the queries' NOTRACK: removed first at a graceful stop (kube-proxy's DNAT then sees them)
  assert.deepEqual(rules.map((r) => r.skipsDnat),
    [true, true, false, false, false, false, false, false, true, true, false, false])
})

test('twelve rules per IP, IP by IP, with the DNS and health ports given', () => {
  const rules = nodeCacheRules(['169.254.20.10', '10.96.0.10'], 1053, 9090)
  assert.equal(rules.length, 24)
  assert.ok(rules.slice(0, 12).every((r) => r.args.includes('169.254.20.10')))
  assert.ok(rules.slice(12).every((r) => r.args.includes('10.96.0.10')))
  assert.equal(rules.filter((r) => r.args.includes('1053')).length, 20)
  assert.equal(rules.filter((r) => r.args.includes('9090')).length, 4)
  assert.equal(rules.filter((r) => r.args.includes('53')).length, 0)
  assert.equal(rules.filter((r) => r.skipsDnat).length, 8)
})

test('rules are logged as node-cache logs them', () => {
  assert.equal(describeRule(nodeCacheRules(['169.254.20.10'], 53, 8080)[0]!),
    '{raw PREROUTING [-p tcp -d 169.254.20.10 --dport 53 -j NOTRACK ' +
    '-m comment --comment NodeLocal DNS Cache: skip conntrack]}')
})

test('the xtables lock error is told apart', () => {
  assert.equal(isLockedError(
    'Another app is currently holding the xtables lock. Perhaps you want to use the -w option?'), true)
  assert.equal(isLockedError('iptables: Bad rule (does a matching rule exist in that chain?).'), false)
})
