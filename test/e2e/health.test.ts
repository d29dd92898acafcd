// /health and /ready of a real tsdns: answers, the self-probe metric, reloads that never take
// them down, and SIGTERM with lameduck under load: /health stays OK, /ready says 503, every query
// is answered until the listeners close, then exit 0 with the pid file removed.

import assert from 'node:assert/strict'
import { existsSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { after, before, test } from 'node:test'
import {
  buildQuery,
  freePort,
  sleep,
  startTsdns,
  tcpQuery,
  udpQuery,
  type Tsdns,
} from '../helpers/index.ts'

const LAMEDUCK_MS = 1500

let port: number
let hport: number
let rport: number
let mport: number
let tsdns: Tsdns

const corefile = (zone: string) => `
${zone}:${port} {
    bind 127.0.0.1
    whoami
    health 127.0.0.1:${hport} {
        lameduck ${LAMEDUCK_MS}ms
    }
    ready 127.0.0.1:${rport}
    prometheus 127.0.0.1:${mport}
}
`

before(async () => {
  port = await freePort('both')
  ;[hport, rport, mport] = [await freePort('tcp'), await freePort('tcp'), await freePort('tcp')]
  tsdns = await startTsdns(corefile('.'))
})

after(async () => {
  await tsdns?.stop()
})

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) })
  return { status: res.status, body: await res.text() }
}

test('/health and /ready answer 200 OK; the self-probe is measured', async () => {
  assert.deepEqual(await get(hport, '/health'), { status: 200, body: 'OK' })
  assert.deepEqual(await get(rport, '/ready'), { status: 200, body: 'OK' })
  assert.equal((await get(rport, '/health')).status, 404, 'each path only where it was configured')
  let count = 0
  for (let i = 0; i < 30 && count === 0; i++) {
    await sleep(100)
    const text = (await get(mport, '/metrics')).body
    count = Number(/^coredns_health_request_duration_seconds_count (\S+)$/m.exec(text)?.[1])
  }
  assert.ok(count >= 1, 'a probe each second')
  const text = (await get(mport, '/metrics')).body
  assert.match(text, /^coredns_health_request_failures_total 0$/m)
})

test('reloads, a failed one included, never take /health or /ready down', async () => {
  const seen: string[] = []
  let polling = true
  const poller = (async () => {
    for (let i = 0; polling && i < 5000; i++) {
      for (const [p, path] of [
        [hport, '/health'],
        [rport, '/ready'],
      ] as const) {
        try {
          const r = await get(p, path)
          seen.push(`${path} ${r.status}`)
        } catch (err) {
          seen.push(`${path} ${(err as Error).message}`)
        }
      }
    }
  })()
  for (const [i, zone] of ['example.org', 'broken', 'example.net'].entries()) {
    writeFileSync(tsdns.confPath, zone === 'broken' ? `. {\n    health :x\n}\n` : corefile(zone))
    tsdns.proc.kill('SIGUSR1')
    await tsdns.waitForLine(
      zone === 'broken' ? /^\[ERROR\] Restart failed: / : new RegExp(`^${zone}\\.:${port} on`),
      5000,
    )
    await sleep(50 + i)
  }
  polling = false
  await poller
  const bad = seen.filter((s) => !s.endsWith(' 200'))
  assert.ok(seen.length > 20, `only ${seen.length} requests`)
  assert.deepEqual(bad, [], `${bad.length} of ${seen.length} failed`)
  const r = await udpQuery('127.0.0.1', port, buildQuery('www.example.net'), { timeoutMs: 1000 })
  assert.equal(r?.[3]! & 0x0f, 0, 'the last good configuration serves')
})

test('an HTTP port in use: fatal at start, only logged on reload', async () => {
  const blocker = net.createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  const busy = (blocker.address() as net.AddressInfo).port
  try {
    const text = `.:${await freePort('both')} {\n    whoami\n    health 127.0.0.1:${busy}\n}\n`
    await assert.rejects(
      startTsdns(text),
      /exited with 1[\s\S]*cannot listen on 127\.0\.0\.1:\d+ for HTTP/,
    )
    writeFileSync(
      tsdns.confPath,
      corefile('.').replace(`ready 127.0.0.1:${rport}`, `ready 127.0.0.1:${busy}`),
    )
    tsdns.proc.kill('SIGUSR1')
    // the reload fails as a whole (caddy's words for a failed SIGUSR1 restart): the old
    // configuration keeps serving with every listener it had
    await tsdns.waitForLine(
      /\[ERROR\] Restart failed: cannot listen on 127\.0\.0\.1:\d+ for HTTP/,
      5000,
    )
    // and CoreDNS's own line after caddy's, with the same reason
    await tsdns.waitForLine(
      /\[ERROR\] SIGUSR1: starting with listener file descriptors: cannot listen on 127\.0\.0\.1:\d+ for HTTP/,
      5000,
    )
    assert.deepEqual(await get(rport, '/ready'), { status: 200, body: 'OK' }, 'the old ready port serves')
    assert.deepEqual(await get(hport, '/health'), { status: 200, body: 'OK' })
    assert.equal(
      (await udpQuery('127.0.0.1', port, buildQuery('www.example.net'), { timeoutMs: 1000 }))?.[3]! &
        0x0f,
      0,
      'the previous test\'s configuration (example.net) still serves',
    )
    writeFileSync(tsdns.confPath, corefile('.')) // ready back on its port for the next test
    tsdns.proc.kill('SIGUSR1')
    let back = false
    for (let i = 0; i < 50 && !back; i++) {
      back = await get(rport, '/ready').then(
        (r) => r.status === 200,
        () => false,
      )
      if (!back) await sleep(50)
    }
    assert.ok(back, '/ready is back after the next reload')
  } finally {
    await new Promise((resolve) => blocker.close(resolve))
  }
})

test('SIGTERM: lameduck under load, then the listeners close and the process exits 0', async () => {
  const answered: number[] = []
  const unanswered: number[] = []
  /** [ms, answer] of /health and /ready probes. */
  const probed: [number, string, string][] = []
  let running = true
  const load = (async () => {
    for (let i = 0; running && i < 5000; i++) {
      const sent = performance.now()
      const q = buildQuery('example.net', 'A', { id: i & 0xffff })
      const r = await (
        i % 4 === 3
          ? tcpQuery('127.0.0.1', port, q)
          : udpQuery('127.0.0.1', port, q, { timeoutMs: 500 })
      ).catch(() => undefined)
      ;(r ? answered : unanswered).push(sent)
    }
  })()
  const probes = (async () => {
    for (let i = 0; running && i < 5000; i++) {
      const at = performance.now()
      const [h, r] = await Promise.all(
        [get(hport, '/health'), get(rport, '/ready')].map((p) => p.catch(() => undefined)),
      )
      const said = (x: typeof h) => (x ? `${x.status} ${x.body}` : 'down')
      if (running) probed.push([at, said(h), said(r)])
      await sleep(20)
    }
  })()
  await sleep(200)
  const t0 = performance.now()
  tsdns.proc.kill('SIGTERM')
  const exit = await tsdns.child.waitExit(LAMEDUCK_MS + 5000)
  const stopped = performance.now()
  running = false
  await Promise.all([load, probes])

  assert.equal(exit?.code, 0)
  assert.ok(
    stopped - t0 >= LAMEDUCK_MS,
    `exited after ${Math.round(stopped - t0)} ms, before the lameduck ended`,
  )
  assert.equal(existsSync(tsdns.pidPath), false, 'pid file removed')
  // CoreDNS's lines, in its order
  const said = tsdns.stdout()
  const sigterm = said.indexOf('[INFO] SIGTERM: Shutting down servers then terminating')
  const lameduckLine = said.indexOf(
    `[INFO] plugin/health: Going into lameduck mode for ${LAMEDUCK_MS / 1000}s`)
  assert.ok(sigterm >= 0 && lameduckLine > sigterm, said.join('\n'))
  // Everything sent before the listeners started to close (the end of the lameduck) was answered.
  const closing = t0 + LAMEDUCK_MS
  const lost = unanswered.filter((t) => t < closing - 50)
  assert.ok(answered.filter((t) => t > t0).length > 10, `${answered.length} answered in lameduck`)
  assert.deepEqual(
    lost.map((t) => Math.round(t - t0)),
    [],
    'queries lost during lameduck (ms after SIGTERM)',
  )
  // /health stays OK through the lameduck while /ready already turned away new clients.
  const lameduck = probed.filter(([at]) => at > t0 + 50 && at < closing - 100)
  assert.ok(lameduck.length >= 5, `${lameduck.length} probes during the lameduck`)
  assert.deepEqual([...new Set(lameduck.map(([, h]) => h))], ['200 OK'])
  assert.deepEqual([...new Set(lameduck.map(([, , r]) => r))], ['503 Shutting down'])
  assert.ok(
    probed.some(([at, , r]) => at < t0 && r === '200 OK'),
    'ready was OK before SIGTERM',
  )
})
