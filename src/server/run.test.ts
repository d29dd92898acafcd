// Runner.reload's bookkeeping, with real instances on a loopback port: what the reload plugin
// counts (a failing Corefile once, again after the serving one came back) and how a check and
// SIGUSR1 meet.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadCorefile } from '../corefile/load.ts'
import { setLogSink } from '../plugin/log.ts'
import net from 'node:net'
import { freePort } from '../../test/helpers/ports.ts'
import { buildQuery, udpQuery } from '../../test/helpers/index.ts'
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

test('a reload whose new HTTP port is taken changes nothing: the old listeners all serve', async (t) => {
  const [port, m1, m2] = [await freePort('both'), await freePort('tcp'), await freePort('tcp')]
  const blocker = net.createServer()
  await new Promise<void>((resolve) => blocker.listen(m2, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => blocker.close(resolve)))
  const corefile = (m: number, extra?: number) =>
    `.:${port} {\n    bind 127.0.0.1\n    whoami\n    prometheus 127.0.0.1:${m}\n}\n` +
    (extra === undefined ? '' : `.:${extra} {\n    bind 127.0.0.1\n    whoami\n}\n`)
  const extra = await freePort('both')
  let text = corefile(m1)
  const load = () => ({ blocks: loadCorefile({ file: 'Corefile', text }).blocks, file: '/Corefile' })
  const runner = new Runner({ load }, { defaultPort: port })
  await runner.start()
  t.after(() => runner.stop())
  const scrape = (m: number) => fetch(`http://127.0.0.1:${m}/metrics`).then((r) => r.status)
  assert.equal(await scrape(m1), 200)

  // the new configuration also opens a DNS port: it must not stay open either
  text = corefile(m2, extra)
  lines.length = 0
  assert.equal(await runner.reload(true), 'failed')
  assert.deepEqual(lines.filter((l) => l.startsWith('[ERROR]')).map((l) => l.replace(/\d+/g, 'N')),
    [
      '[ERROR] Restart failed: cannot listen on N.N.N.N:N for HTTP: listen EADDRINUSE: address already in use N.N.N.N:N',
      '[ERROR] plugin/reload: Corefile changed but reload failed: starting with listener file descriptors: cannot listen on N.N.N.N:N for HTTP: listen EADDRINUSE: address already in use N.N.N.N:N',
    ])
  assert.equal(await scrape(m1), 200, 'the old metrics port still serves')
  await assert.rejects(udpQuery('127.0.0.1', extra, buildQuery('x.'), { timeoutMs: 1000 }),
    { code: 'ECONNREFUSED' }, 'the new DNS port was not left open')
  const reply = await udpQuery('127.0.0.1', port, buildQuery('x.'), { timeoutMs: 2000 })
  assert.equal(reply![3]! & 0xf, 0, 'DNS served by the old configuration')
  assert.ok(!lines.includes('[INFO] Reloading complete'))
})
