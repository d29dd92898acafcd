// forward end to end: the real tsdns process forwarding dig/kdig queries to real unbound and
// dnsmasq over UDP, TCP and DNS-over-TLS, to scripted faulty upstreams, with one upstream dead,
// and with the parallel policy and one slow upstream. Everything on loopback.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { answer, answerData, buildQuery, dig, drop, fakeUpstream, freePort, rcodeName, refused,
  servfail, sleep, slow, spoofed, startDnsmasq, startTsdns, startUnbound, truncated, udpQuery,
  wrongId, wrongQuestion, type Dnsmasq, type FakeAction, type FakeHandler, type FakeQuery,
  type FakeUpstream, type Tsdns, type Unbound } from '../helpers/index.ts'

const BIG = [0, 1, 2, 3].map((i) => `big.example.org. 300 IN TXT "${String(i).repeat(200)}"`)

let unbound: Unbound
let dnsmasq: Dnsmasq
let tsdns: Tsdns
let port: number
let mport: number
const fakes = new Map<string, FakeUpstream>()

const rr = (q: FakeQuery, ip: string): string => `${q.name} 60 IN A ${ip}`
const ok = (q: FakeQuery, ip: string): FakeAction => answer(q, [rr(q, ip)])
const good = (ip: string): FakeHandler => (q) => ok(q, ip)
/** Fail fast: one try of 300 ms. */
const once = 'read_timeout 300ms\nmax_connect_attempts 1'

/** Scripted upstreams, one per zone: zone -> [handler, forward options]. */
const scripted: Record<string, [FakeHandler, string]> = {
  'silent.test': [() => drop(), once],
  'slow.test': [(q) => slow(200, ok(q, '192.0.2.1')), ''],
  'servfail.test': [(q) => servfail(q), ''],
  'refused.test': [(q) => refused(q), ''],
  'truncated.test': [(q) => (q.proto === 'udp' ? truncated(q) : ok(q, '192.0.2.2')), ''],
  'wrongid.test': [(q) => wrongId(q, [rr(q, '192.0.2.66')]), once],
  'wrongquestion.test': [(q) => wrongQuestion(q), once],
  'otherport.test': [(q) => spoofed(ok(q, '192.0.2.66')), once],
  'dead.test': [() => drop(), ''],
  'alive.test': [good('192.0.2.3'), ''],
  'slow300.test': [(q) => slow(300, ok(q, '192.0.2.4')), ''],
  'fast.test': [good('192.0.2.5'), ''],
}

before(async () => {
  unbound = await startUnbound({
    zones: ['example.org'],
    records: ['www.example.org. 300 IN A 127.0.0.2', 'www.tcp.example.org. 300 IN A 127.0.0.3',
      'www.tls.example.org. 300 IN A 127.0.0.4', ...BIG],
  })
  dnsmasq = await startDnsmasq({ addresses: [{ name: 'example.net', ip: '127.0.0.5' }] })
  for (const [zone, [handler]] of Object.entries(scripted)) {
    fakes.set(zone, await fakeUpstream(handler))
  }
  port = await freePort('both')
  mport = await freePort('tcp')
  const fake = (zone: string): string => fakes.get(zone)!.addr
  const blocks = Object.entries(scripted)
    .filter(([zone]) => !['dead.test', 'alive.test', 'slow300.test', 'fast.test'].includes(zone))
    .map(([zone, [, opts]]) =>
      `${zone}:${port} {\n  import local\n  forward . ${fake(zone)} {\n${opts}\n  }\n}`)
  tsdns = await startTsdns(`
(local) {
  bind 127.0.0.1
  prometheus 127.0.0.1:${mport}
}
example.org:${port} {
  import local
  forward tcp.example.org 127.0.0.1:${unbound.port} {
    force_tcp
  }
  forward tls.example.org tls://127.0.0.1:${unbound.tlsPort} {
    tls ${unbound.certPath}
    tls_servername localhost
  }
  forward badtls.example.org tls://127.0.0.1:${unbound.tlsPort} {
    tls ${unbound.certPath}
    tls_servername wrong.example
    max_connect_attempts 1
  }
  forward . 127.0.0.1:${unbound.port}
}
example.net:${port} {
  import local
  # dnsmasq -d serves one TCP connection to its end before anything else: don't keep it open
  forward . 127.0.0.1:${dnsmasq.port} {
    expire 0s
  }
}
bind:${port} {
  import local
  forward . 127.0.0.1:${unbound.port}
}
failover.test:${port} {
  import local
  forward . ${fake('dead.test')} ${fake('alive.test')} {
    read_timeout 2s
  }
}
parallel.test:${port} {
  import local
  forward . ${fake('slow300.test')} ${fake('fast.test')} {
    policy parallel
  }
}
${blocks.join('\n')}
`)
})

after(async () => {
  await tsdns?.stop()
  const closing = [...fakes.values()].map((f) => f.close())
  await Promise.all([unbound?.stop(), dnsmasq?.stop(), ...closing])
})

/** One series of /metrics: its value, or 0 when absent. */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text()
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  const line = text.split('\n')
    .find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

const to = (zone: string): string => fakes.get(zone)!.addr

for (const tool of ['dig', 'kdig'] as const) {
  for (const proto of ['udp', 'tcp'] as const) {
    test(`${tool} over ${proto}: unbound and dnsmasq answer through tsdns`, async () => {
      const opts = proto === 'tcp' ? ['+tcp'] : []
      const org = await dig({ tool, port, name: 'WWW.example.org', opts })
      assert.equal(org.status, 'NOERROR', org.raw)
      assert.equal(org.answer[0]?.data, '127.0.0.2')
      assert.equal(org.answer[0]?.name.toLowerCase(), 'www.example.org.')
      assert.equal((await dig({ tool, port, name: 'nope.example.org', opts })).status, 'NXDOMAIN')
      const net = await dig({ tool, port, name: 'www.example.net', opts })
      assert.equal(net.status, 'NOERROR', net.raw)
      assert.equal(net.answer[0]?.data, '127.0.0.5')
    })
  }
}

test('force_tcp to unbound', async () => {
  const r = await dig({ port, name: 'www.tcp.example.org' })
  assert.equal(r.status, 'NOERROR', r.raw)
  assert.equal(r.answer[0]?.data, '127.0.0.3')
})

test('DNS over TLS to unbound, the certificate checked against tls_servername', async () => {
  const r = await dig({ port, name: 'www.tls.example.org' })
  assert.equal(r.status, 'NOERROR', r.raw)
  assert.equal(r.answer[0]?.data, '127.0.0.4')
  // same TLS port, a name the certificate does not carry: the handshake fails, nothing leaks
  const bad = await dig({ port, name: 'www.badtls.example.org' })
  assert.equal(bad.status, 'SERVFAIL', bad.raw)
})

test('a large answer: TC from upstream over UDP, the client retries over TCP', async () => {
  const r = await dig({ port, name: 'big.example.org', type: 'TXT', opts: ['+bufsize=512'] })
  assert.equal(r.status, 'NOERROR', r.raw)
  assert.equal(r.answer.length, 4)
  assert.ok(r.errors.some((e) => /Truncated, retrying in TCP mode/.test(e)), r.raw)
  const opts = ['+bufsize=512', '+ignore']
  const udpOnly = await dig({ port, name: 'big.example.org', type: 'TXT', opts })
  assert.ok(udpOnly.flags.includes('tc'), udpOnly.raw)
})

test('CH class goes through forward (version.bind from unbound)', async () => {
  const r = await dig({ port, name: 'version.bind', type: 'TXT', class: 'CH' })
  assert.equal(r.status, 'NOERROR', r.raw)
  assert.match(r.answer[0]?.data ?? '', /unbound/i)
})

test('scripted faulty upstreams: what the client sees', async () => {
  const cases: [string, string, string | undefined, string[]][] = [
    ['silent.test', 'SERVFAIL', undefined, []],
    ['slow.test', 'NOERROR', '192.0.2.1', []],
    ['servfail.test', 'SERVFAIL', undefined, []],
    ['refused.test', 'REFUSED', undefined, []],
    ['truncated.test', 'NOERROR', '192.0.2.2', []],
    ['truncated.test', 'NOERROR', undefined, ['+ignore']],
    ['wrongid.test', 'SERVFAIL', undefined, []],
    ['wrongquestion.test', 'SERVFAIL', undefined, []],
    ['otherport.test', 'SERVFAIL', undefined, []],
  ]
  const results = await Promise.all(
    cases.map(([zone, , , opts]) => dig({ port, name: `www.${zone}`, opts })))
  cases.forEach(([zone, status, data, opts], i) => {
    const r = results[i]!
    assert.equal(r.status, status, `${zone} ${opts.join(' ')}: ${r.raw}`)
    if (data) assert.equal(r.answer[0]?.data, data, zone)
    assert.ok(!r.raw.includes('192.0.2.66'), `${zone}: a rejected reply reached the client`)
    if (opts.includes('+ignore')) assert.ok(r.flags.includes('tc'), r.raw)
  })
  const silent = results[0]!
  const silentMs = silent.queryTimeMs ?? 0
  assert.ok(silentMs >= 290 && silentMs < 1000, `${silentMs} ms`)
  const protos = fakes.get('truncated.test')!.queries.map((q) => q.proto).sort()
  assert.deepEqual(protos, ['tcp', 'udp', 'udp'])
})

test('scripted faulty upstreams: the metrics', async () => {
  const dropped = 'coredns_forward_dropped_replies_total'
  assert.equal(await metric(dropped, { to: to('wrongid.test'), reason: 'id' }), 1)
  assert.equal(await metric(dropped, { to: to('wrongquestion.test'), reason: 'question' }), 1)
  // the UDP socket is connected (as CoreDNS's): the kernel never hands it the other port's reply
  assert.equal(await metric(dropped, { to: to('otherport.test') }), 0)
  const count = 'coredns_proxy_request_duration_seconds_count'
  const proxy = { proxy_name: 'forward' }
  assert.equal(await metric(count, { ...proxy, to: to('servfail.test'), rcode: 'SERVFAIL' }), 1)
  assert.equal(await metric(count, { ...proxy, to: to('refused.test'), rcode: 'REFUSED' }), 1)
  assert.equal(await metric(count, { ...proxy, to: to('slow.test'), rcode: 'NOERROR' }), 1)
  assert.equal(await metric(count, { ...proxy, to: to('truncated.test'), rcode: 'NOERROR' }), 3)
  assert.equal(await metric(count, { ...proxy, to: to('silent.test') }), 0, 'no reply, no duration')
  // the silent upstream is health checked: `. IN NS`, failing after 1 s
  const probes = await fakes.get('silent.test')!.waitForQueries(2)
  assert.deepEqual([probes[1]!.name, probes[1]!.type], ['.', 'NS'])
  const failures = { proxy_name: 'forward', to: to('silent.test') }
  const failed = (): Promise<number> => metric('coredns_proxy_healthcheck_failures_total', failures)
  for (let i = 0; i < 30 && await failed() === 0; i++) await sleep(100)
  assert.ok(await failed() >= 1)
  const tls = { proxy_name: 'forward', to: `127.0.0.1:${unbound.tlsPort}`, proto: 'tcp-tls' }
  assert.ok(await metric('coredns_proxy_conn_cache_misses_total', tls) >= 1)
})

test('failover: one of two upstreams dead, all answered within read_timeout + 10%', async () => {
  const times: number[] = []
  for (let round = 0; round < 3; round++) {
    await Promise.all(Array.from({ length: 10 }, async (_, i) => {
      const start = performance.now()
      const query = buildQuery(`q${round}-${i}.failover.test`)
      const reply = await udpQuery('127.0.0.1', port, query, { timeoutMs: 5000 })
      times.push(performance.now() - start)
      assert.ok(reply, 'answered')
      assert.deepEqual(answerData(reply), ['192.0.2.3'])
    }))
  }
  assert.ok(fakes.get('dead.test')!.queries.length > 0, 'the dead upstream was tried')
  // read_timeout is 2 s rather than 1 s so the 10% allowance (200 ms) outlasts timer lag on a
  // loaded 2-core CI machine; a timeout that retried nothing would still fail by seconds
  assert.ok(Math.max(...times) <= 2200, `slowest ${Math.max(...times).toFixed(0)} ms`)
})

test('parallel: with one upstream 300 ms slow, answers come at the fast one\'s speed', async () => {
  const times: number[] = []
  for (let i = 0; i < 10; i++) {
    const start = performance.now()
    const query = buildQuery(`p${i}.parallel.test`)
    const reply = await udpQuery('127.0.0.1', port, query, { timeoutMs: 1000 })
    times.push(performance.now() - start)
    assert.ok(reply)
    assert.equal(rcodeName(reply), 'NOERROR')
    assert.deepEqual(answerData(reply), ['192.0.2.5'])
  }
  assert.equal(fakes.get('slow300.test')!.queries.length, 10, 'every query went to both')
  assert.ok(Math.max(...times) < 100, `slowest ${Math.max(...times).toFixed(0)} ms`)
  // the slow upstream's replies came too late to be used, but are measured
  const slowCount = { proxy_name: 'forward', to: to('slow300.test'), rcode: 'NOERROR' }
  const count = 'coredns_proxy_request_duration_seconds_count'
  const measured = (): Promise<number> => metric(count, slowCount)
  for (let i = 0; i < 20 && await measured() < 10; i++) await sleep(50)
  assert.equal(await measured(), 10)
})
