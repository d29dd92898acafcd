// Runner.reload's bookkeeping, with real instances on a loopback port: what the reload plugin
// counts (a failing Corefile once, again after the serving one came back) and how a check and
// SIGUSR1 meet.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadCorefile } from '../corefile/load.ts'
import { setLogSink } from '../plugin/log.ts'
import { freePort } from '../../test/helpers/ports.ts'
import { Runner } from './run.ts'

const lines: string[] = []
setLogSink((l) => void lines.push(l))

test('a failing Corefile is reported once per appearance; SIGUSR1 is never lost to a check', async (t) => {
  const port = await freePort('both')
  const good = (zone: string) => `${zone}:${port} {\n    bind 127.0.0.1\n    whoami\n}\n`
  const broken = good('x.test').replace('whoami', 'whoami\n    nosuchplugin')
  let text = good('a.test')
  const load = () => ({ blocks: loadCorefile({ file: 'Corefile', text }).blocks, file: '/Corefile' })
  const runner = new Runner({ load }, { defaultPort: port })
  await runner.start()
  t.after(() => runner.stop())
  const check = () => runner.reload(true)

  assert.equal(await check(), 'unchanged')
  text = broken
  assert.equal(await check(), 'failed')
  assert.equal(await check(), 'unchanged', 'the same broken file is not tried again')
  text = good('a.test') // the serving configuration is back
  assert.equal(await check(), 'unchanged')
  text = broken
  assert.equal(await check(), 'failed', 'the broken file is new again')

  // SIGUSR1 always tries; what it tried is still the check's to try once
  text = good('b.test').replace('whoami', 'whoami\n    nosuchplugin')
  assert.equal(await runner.reload(), 'failed')
  assert.equal(await check(), 'failed')

  // SIGUSR1 during a check runs after it (and reloads, as SIGUSR1 always does); a check during
  // SIGUSR1's reload is that reload
  text = good('c.test')
  const [first, forced, joined] = [check(), runner.reload(), check()]
  assert.deepEqual(await Promise.all([first, forced, joined]), ['reloaded', 'reloaded', 'unchanged'])
  text = good('d.test')
  const [sig, during] = [runner.reload(), check()]
  assert.deepEqual(await Promise.all([sig, during]), ['reloaded', 'unchanged'])
  assert.ok(runner.instance!.describe().some((l) => l.startsWith('d.test.:')))
})
