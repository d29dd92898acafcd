// The forward handler in-process against scripted upstreams on loopback: what the client gets,
// what the upstream saw, and the metrics, for healthy and faulty upstreams.

import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import { after, before, test } from 'node:test'
import dnsPacket from 'dns-packet'
import { loadCorefile } from '../../src/corefile/load.ts'
import { logger, setLogSink } from '../../src/plugin/log.ts'
import type { Handler } from '../../src/plugin/plugin.ts'
import { PluginError } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { nextHandler, Recorder, request, testContext, type QueryOpts } from '../../test/dnstest.ts'
import { answer, answerData, drop, fakeUpstream, nxdomain, rcodeName, refused, reply, servfail,
  slow, spoofed, truncated, wrongId, wrongQuestion, type FakeHandler, type FakeQuery,
  type FakeUpstream } from '../../test/helpers/index.ts'
import { Forward } from './forward.ts'
import { connCacheHits, connCacheMisses, droppedReplies, healthcheckBroken, healthcheckFailures,
  maxConcurrentRejects, requestDuration } from './metrics.ts'
import { chain, parseForward } from './setup.ts'

before(() => setLogSink(() => {}))

const running: Forward[] = []
const upstreams: FakeUpstream[] = []
after(async () => {
  for (const f of running) f.stop()
  await Promise.all(upstreams.map((u) => u.close()))
})

/** A chain of the forward stanzas in `body`, started; `next` after the last. */
function build(body: string, next?: Handler): { h: Handler; fwds: Forward[] } {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  const directives = blocks[0]!.directives.filter((d) => d.name.text === 'forward')
  const configs = parseForward(directives, { dir: '.', log: logger('forward') })
  const fwds = configs.map((c) => new Forward(c))
  for (const f of fwds) f.start()
  running.push(...fwds)
  return { h: chain(fwds, next), fwds }
}

async function upstream(handler: FakeHandler, host?: string): Promise<FakeUpstream> {
  const u = await fakeUpstream(handler, host ? { host } : {})
  upstreams.push(u)
  return u
}

interface Served {
  readonly rcode: number | undefined
  readonly err: PluginError | undefined
  readonly w: Recorder
  readonly ms: number
}

async function serve(h: Handler, name = 'www.example.org', type = 'A', opts: QueryOpts = {},
): Promise<Served> {
  const w = new Recorder(undefined, opts.proto ?? 'udp')
  const start = performance.now()
  try {
    const rcode = await h.serveDNS(testContext, w, request(name, type, opts))
    return { rcode, err: undefined, w, ms: performance.now() - start }
  } catch (err) {
    if (!(err instanceof PluginError)) throw err
    return { rcode: undefined, err, w, ms: performance.now() - start }
  }
}

/** An A record for the query's name. */
const rr = (q: FakeQuery, ip: string): string => `${q.name} 60 IN A ${ip}`
const a = (ip: string): FakeHandler => (q) => answer(q, [rr(q, ip)])
const data = (s: Served): string[] => answerData(s.w.wire!)
const rcode = (s: Served): string => rcodeName(s.w.wire!)
const dropped = (u: FakeUpstream, reason: string): number =>
  droppedReplies.child({ to: u.addr, reason }).value
const durations = (u: FakeUpstream, rcode: string): number =>
  requestDuration.child({ proxy_name: 'forward', to: u.addr, rcode }).count
const hits = (u: FakeUpstream, proto: string): number =>
  connCacheHits.child({ proxy_name: 'forward', to: u.addr, proto }).value
const misses = (u: FakeUpstream, proto: string): number =>
  connCacheMisses.child({ proxy_name: 'forward', to: u.addr, proto }).value

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

test('client bytes go upstream under a fresh ID, the reply back under the client ID', async () => {
  const u = await upstream(a('192.0.2.1'))
  const { h } = build(`forward . ${u.addr}`)
  const s = await serve(h, 'WWW.Example.org', 'A', { id: 4321, udpSize: 1400, do: true, cd: true })
  assert.equal(s.rcode, Rcode.NoError)
  assert.equal(s.w.by, 'forward')
  assert.equal(s.w.msg.id, 4321)
  assert.deepEqual(data(s), ['192.0.2.1'])
  const q = u.queries[0]!
  assert.notEqual(q.id, 4321)
  assert.equal(q.name, 'WWW.Example.org', 'the qname case goes upstream as sent')
  assert.deepEqual([q.proto, q.cd, q.rd, q.edns?.udpSize, q.edns?.do],
    ['udp', true, true, 1400, true])
  assert.equal(durations(u, 'NOERROR'), 1)
})

test('concurrent queries: distinct random IDs and source ports; idle sockets reused', async () => {
  const u = await upstream(a('192.0.2.2'))
  const { h } = build(`forward . ${u.addr}`)
  await Promise.all(Array.from({ length: 20 }, (_, i) => serve(h, `n${i}.example.org`)))
  const ports = new Set(u.queries.map((q) => q.from.port))
  assert.equal(ports.size, 20, 'one socket per query in flight')
  assert.ok(new Set(u.queries.map((q) => q.id)).size >= 19)
  assert.equal(misses(u, 'udp'), 20)
  for (let i = 0; i < 5; i++) assert.equal((await serve(h)).rcode, Rcode.NoError)
  assert.equal(hits(u, 'udp'), 5)
  assert.ok(ports.has(u.queries.at(-1)!.from.port), 'a pooled socket')
})

for (const [what, fault, reason] of [
  ['a wrong ID', (q: FakeQuery) => wrongId(q, [rr(q, '192.0.2.66')]), 'id'],
  ['another question', (q: FakeQuery) => wrongQuestion(q), 'question'],
] as const) {
  test(`a reply with ${what} is dropped and counted; the real one gets through`, async () => {
    const u = await upstream((q) => [fault(q), slow(20, answer(q, [rr(q, '192.0.2.3')]))])
    const { h } = build(`forward . ${u.addr}`)
    const s = await serve(h)
    assert.deepEqual(data(s), ['192.0.2.3'])
    assert.equal(dropped(u, reason), 1)
  })

  test(`only a reply with ${what}: SERVFAIL after the read timeout`, async () => {
    const u = await upstream((q) => fault(q))
    const { h } = build(`forward . ${u.addr} {\nread_timeout 150ms\nmax_connect_attempts 1\n}`)
    const s = await serve(h)
    assert.equal(s.err?.rcode, Rcode.ServFail)
    assert.match(s.err!.message, /^plugin\/forward: read udp 127\.0\.0\.1:\d+: i\/o timeout$/)
    assert.ok(s.ms >= 140 && s.ms < 400, `${s.ms} ms`)
    assert.equal(s.w.writes, 0)
    assert.equal(dropped(u, reason), 1)
  })
}

test('a reply from another port never reaches the connected socket; the real one does',
  async () => {
    const u = await upstream((q) => [spoofed(answer(q, [rr(q, '192.0.2.66')])),
      slow(20, answer(q, [rr(q, '192.0.2.3')]))])
    const s = await serve(build(`forward . ${u.addr}`).h)
    assert.deepEqual(data(s), ['192.0.2.3'])
    u.setHandler((q) => spoofed(answer(q, [rr(q, '192.0.2.66')])))
    const only = await serve(build(`forward . ${u.addr} {\nread_timeout 150ms\n}`).h)
    assert.equal(only.err?.rcode, Rcode.ServFail)
    assert.match(only.err!.message, /i\/o timeout$/)
  })

test('a closed UDP port fails at once (ECONNREFUSED, as CoreDNS): the next upstream answers',
  async () => {
    const closed = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => closed.bind(0, '127.0.0.1', resolve))
    const port = closed.address().port
    closed.close()
    const u = await upstream(a('192.0.2.8'))
    const { h } = build(`forward . 127.0.0.1:${port} ${u.addr} {\npolicy sequential\n}`)
    const s = await serve(h)
    assert.deepEqual(data(s), ['192.0.2.8'])
    assert.ok(s.ms < 1000, `${s.ms} ms: not a read timeout`)
    const alone = await serve(build(`forward . 127.0.0.1:${port}`).h)
    assert.equal(alone.err?.rcode, Rcode.ServFail)
    assert.match(alone.err!.message, /ECONNREFUSED/)
    assert.ok(alone.ms < 1000, `${alone.ms} ms: two refused tries, no timeout`)
  })

test('TCP: a wrong ID or question is dropped, the right reply accepted', async () => {
  const u = await upstream((q) => [wrongId(q), wrongQuestion(q), answer(q, [rr(q, '192.0.2.4')])])
  const { h } = build(`forward . ${u.addr}`)
  const s = await serve(h, 'www.example.org', 'A', { proto: 'tcp' })
  assert.deepEqual(data(s), ['192.0.2.4'])
  assert.equal(u.queries[0]!.proto, 'tcp')
  assert.equal(dropped(u, 'id') + dropped(u, 'question'), 2)
})

test('a slow upstream inside read_timeout is waited for', async () => {
  const u = await upstream((q) => slow(150, answer(q, [rr(q, '192.0.2.5')])))
  const { h } = build(`forward . ${u.addr} {\nread_timeout 500ms\n}`)
  const s = await serve(h)
  assert.deepEqual(data(s), ['192.0.2.5'])
  assert.ok(s.ms >= 140, `${s.ms} ms`)
})

test('SERVFAIL and REFUSED from upstream are passed on and measured by rcode', async () => {
  const u = await upstream((q) => (q.name.startsWith('sf') ? servfail(q) : refused(q)))
  const { h } = build(`forward . ${u.addr}`)
  const sf = await serve(h, 'sf.example.org')
  assert.equal(sf.rcode, Rcode.NoError, 'written, so nothing for the server to add')
  assert.equal(rcode(sf), 'SERVFAIL')
  assert.equal(rcode(await serve(h, 'rf.example.org')), 'REFUSED')
  assert.equal(durations(u, 'SERVFAIL'), 1)
  assert.equal(durations(u, 'REFUSED'), 1)
})

test('a silent upstream: asked twice (CoreDNS 1.14.7: 2 attempts per upstream), then SERVFAIL',
  async () => {
    const u = await upstream(() => drop())
    const { h } = build(`forward . ${u.addr} {\nmax_fails 0\n}`)
    const s = await serve(h)
    assert.equal(s.err?.rcode, Rcode.ServFail)
    assert.ok(s.ms > 3900 && s.ms < 4500, `${s.ms} ms`)
    assert.equal(u.queries.length, 2, 'at 0 s and 2 s, each waited for read_timeout')
  })

// 0 is CoreDNS's "no limit", not the default
for (const attempts of ['3', '0']) {
  test(`with max_connect_attempts ${attempts}, a silent upstream is asked until the 5 s deadline`,
    async () => {
      const u = await upstream(() => drop())
      const { h } = build(`forward . ${u.addr} {\nmax_fails 0\nmax_connect_attempts ${attempts}\n}`)
      const s = await serve(h)
      assert.equal(s.err?.rcode, Rcode.ServFail)
      // CoreDNS 1.14.7 answers after 6.0 s too: the deadline stops new tries, not the last one
      assert.ok(s.ms > 5900 && s.ms < 6500, `${s.ms} ms`)
      assert.equal(u.queries.length, 3, 'at 0 s, 2 s and 4 s, each waited for read_timeout')
    })
}

test('truncated over UDP: passed on with TC; with prefer_udp retried over TCP', async () => {
  const u = await upstream((q) => (q.proto === 'udp' ? truncated(q) : a('192.0.2.6')(q)))
  const plain = await serve(build(`forward . ${u.addr}`).h)
  assert.equal(plain.w.msg.flag_tc, true)
  assert.equal(u.queries.length, 1)
  const preferUdp = build(`forward . ${u.addr} {\nprefer_udp\n}`).h
  const s = await serve(preferUdp, 'www.example.org', 'A', { proto: 'tcp' })
  assert.deepEqual(data(s), ['192.0.2.6'])
  assert.deepEqual(u.queries.slice(1).map((q) => q.proto), ['udp', 'tcp'])
})

test('force_tcp: UDP clients are forwarded over TCP', async () => {
  const u = await upstream(a('192.0.2.7'))
  const s = await serve(build(`forward . ${u.addr} {\nforce_tcp\n}`).h)
  assert.deepEqual(data(s), ['192.0.2.7'])
  assert.equal(u.queries[0]!.proto, 'tcp')
})

test('TCP connections are pipelined and reused, then expire', async () => {
  const u = await upstream((q) => slow(30, answer(q, [rr(q, '192.0.2.8')])))
  const { h } = build(`forward . ${u.addr} {\nforce_tcp\nexpire 300ms\n}`)
  const batch = await Promise.all(Array.from({ length: 10 }, (_, i) => serve(h, `p${i}.example`)))
  assert.ok(batch.every((s) => s.rcode === Rcode.NoError))
  assert.deepEqual(new Set(u.queries.map((q) => q.conn)), new Set([1]), 'ten in flight on one')
  assert.deepEqual([misses(u, 'tcp'), hits(u, 'tcp')], [1, 9])
  await serve(h)
  assert.equal(u.queries.at(-1)!.conn, 1, 'reused while fresh')
  await new Promise((r) => setTimeout(r, 400))
  await serve(h)
  assert.equal(u.queries.at(-1)!.conn, 2, 'a new connection after expire')
})

test('more than 16 queries in flight open a second TCP connection', async () => {
  const u = await upstream((q) => slow(50, answer(q, [rr(q, '192.0.2.9')])))
  const { h } = build(`forward . ${u.addr} {\nforce_tcp\n}`)
  await Promise.all(Array.from({ length: 20 }, (_, i) => serve(h, `q${i}.example.org`)))
  assert.deepEqual(new Set(u.queries.map((q) => q.conn)), new Set([1, 2]))
})

test('a reused TCP connection closed by the upstream: retried once on a fresh one', async () => {
  let n = 0
  const u = await upstream((q) => (++n === 2 ? { close: true } : answer(q, [rr(q, '192.0.2.10')])))
  const { h } = build(`forward . ${u.addr} {\nforce_tcp\n}`)
  assert.equal((await serve(h)).rcode, Rcode.NoError)
  const s = await serve(h)
  assert.deepEqual(data(s), ['192.0.2.10'])
  assert.deepEqual(u.queries.map((q) => q.conn), [1, 1, 2])
})

test('IPv6 upstream over UDP and TCP', async () => {
  const u = await upstream(a('192.0.2.11'), '::1')
  const { h } = build(`forward . ${u.addr}`)
  assert.deepEqual(data(await serve(h)), ['192.0.2.11'])
  assert.deepEqual(data(await serve(h, 'www.example.org', 'A', { proto: 'tcp' })), ['192.0.2.11'])
  assert.equal(dropped(u, 'source'), 0)
})

test('FROM and except decide what is forwarded; the rest goes to the next plugin', async () => {
  const u = await upstream(a('192.0.2.12'))
  const body = `forward example.org ${u.addr} {\nexcept internal.example.org\n}`
  const { h } = build(body, nextHandler(Rcode.NotImp))
  assert.equal((await serve(h, 'www.example.org')).rcode, Rcode.NoError)
  assert.equal((await serve(h, 'example.org')).rcode, Rcode.NoError)
  assert.equal((await serve(h, 'a.internal.example.org')).rcode, Rcode.NotImp)
  assert.equal((await serve(h, 'notexample.org')).rcode, Rcode.NotImp)
  assert.equal((await serve(h, 'example.net')).rcode, Rcode.NotImp)
  assert.equal(u.queries.length, 2)
})

test('several stanzas: the first FROM that matches; next NXDOMAIN goes on', async () => {
  const lab = await upstream((q) => nxdomain(q))
  const all = await upstream(a('192.0.2.13'))
  const { h } = build(`forward lab.example.org ${lab.addr} {\nnext NXDOMAIN\n}\n` +
    `forward . ${all.addr}`)
  assert.deepEqual(data(await serve(h, 'x.lab.example.org')), ['192.0.2.13'])
  assert.equal(lab.queries.length, 1)
  const last = build(`forward . ${lab.addr} {\nnext NXDOMAIN\n}`, nextHandler(Rcode.Refused)).h
  assert.equal(rcode(await serve(last, 'y.example.org')), 'NXDOMAIN', 'no forward follows: ignored')
})

test('failover SERVFAIL tries the next upstream; when all fail the last reply wins', async () => {
  const bad = await upstream((q) => servfail(q))
  const good = await upstream(a('192.0.2.14'))
  const opts = 'policy sequential\nfailover SERVFAIL REFUSED'
  const { h } = build(`forward . ${bad.addr} ${good.addr} {\n${opts}\n}`)
  assert.deepEqual(data(await serve(h)), ['192.0.2.14'])
  const bad2 = await upstream((q) => refused(q))
  const both = build(`forward . ${bad.addr} ${bad2.addr} {\n${opts}\n}`).h
  const s = await serve(both)
  assert.equal(rcode(s), 'REFUSED')
  assert.equal(bad2.queries.length, 1)
})

test('max_concurrent: the query over the limit is REFUSED and counted', async () => {
  const u = await upstream((q) => slow(100, answer(q, [rr(q, '192.0.2.15')])))
  const { h } = build(`forward . ${u.addr} {\nmax_concurrent 1\n}`)
  const before = maxConcurrentRejects.child({}).value
  const [first, second] = await Promise.all([serve(h, 'a.example.org'), serve(h, 'b.example.org')])
  assert.equal(first.rcode, Rcode.NoError)
  assert.equal(second.err?.rcode, Rcode.Refused)
  assert.match(second.err!.message, /concurrent queries exceeded maximum 1/)
  assert.equal(maxConcurrentRejects.child({}).value, before + 1)
  assert.equal((await serve(h)).rcode, Rcode.NoError, 'the slot is free again')
})

test('health: a dead upstream is probed, down after max_fails, skipped, back later', async () => {
  const dead = await upstream(() => drop())
  const port = dead.port
  await dead.close() // a closed port: the (connected) probe fails at once with ECONNREFUSED
  const good = await upstream(a('192.0.2.16'))
  const { h, fwds } = build(`forward . ${dead.addr} ${good.addr} {
    policy sequential
    max_fails 1
    health_check 50ms
    read_timeout 200ms
  }`)
  const first = await serve(h)
  assert.deepEqual(data(first), ['192.0.2.16'])
  assert.equal(fwds[0]!.proxies[0]!.health.running, true, 'the refused one is probed')
  const proxy = fwds[0]!.proxies[0]!
  await until(() => proxy.down(1), 1000, 'the dead upstream to be down')
  assert.ok(healthcheckFailures.child({ proxy_name: 'forward', to: dead.addr }).value >= 2)
  const second = await serve(h)
  assert.deepEqual(data(second), ['192.0.2.16'])
  assert.ok(second.ms < 100, `skipped the down upstream (${second.ms} ms)`)

  // revive the port: the next probe succeeds and the upstream is used first again
  const revived = dgram.createSocket('udp4')
  await new Promise<void>((r) => revived.bind(port, '127.0.0.1', () => r()))
  revived.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg)
    const question = q.questions![0]!
    const answers = question.type === 'A'
      ? [{ name: question.name, type: 'A' as const, ttl: 1, data: '192.0.2.99' }]
      : []
    const flags = dnsPacket.RECURSION_DESIRED
    const out = dnsPacket.encode({ ...q, type: 'response', flags, answers })
    revived.send(out, rinfo.port, rinfo.address)
  })
  try {
    await until(() => !proxy.down(1) && !proxy.health.running, 1000, 'the revived one to be up')
    assert.deepEqual(data(await serve(h)), ['192.0.2.99'])
  } finally {
    revived.close()
  }
})

test('health probes: NS for the root with RD, or as configured', async () => {
  const u = await upstream(() => drop())
  const opts = 'health_check 50ms no_rec domain health.example.org'
  const { fwds } = build(`forward . ${u.addr} {\n${opts}\n}`)
  fwds[0]!.proxies[0]!.health.kick()
  const [q] = await u.waitForQueries(1)
  assert.deepEqual([q!.name, q!.type, q!.rd], ['health.example.org', 'NS', false])
  const v = await upstream(() => drop())
  build(`forward . ${v.addr} {\nforce_tcp\n}`).fwds[0]!.proxies[0]!.health.kick()
  const [p] = await v.waitForQueries(1)
  assert.deepEqual([p!.name, p!.type, p!.rd, p!.proto], ['.', 'NS', true, 'tcp'])
})

test('all upstreams down: a random one anyway, or SERVFAIL with failfast', async () => {
  const u = await upstream(a('192.0.2.17'))
  const broken = healthcheckBroken.child({})
  const before = broken.value
  const spray = build(`forward . ${u.addr}`)
  spray.fwds[0]!.proxies[0]!.health.fails = 3
  assert.deepEqual(data(await serve(spray.h)), ['192.0.2.17'])
  const fast = build(`forward . ${u.addr} {\nfailfast_all_unhealthy_upstreams\n}`)
  fast.fwds[0]!.proxies[0]!.health.fails = 3
  const s = await serve(fast.h)
  assert.equal(s.err?.rcode, Rcode.ServFail)
  assert.match(s.err!.message, /no healthy proxies/)
  assert.ok(s.ms < 50)
  assert.equal(broken.value, before + 2)
  assert.equal(u.queries.length, 1)
})

test('max_fails 0: never down, never probed', async () => {
  const u = await upstream(() => drop())
  const opts = 'max_fails 0\nread_timeout 50ms\nmax_connect_attempts 2'
  const { h, fwds } = build(`forward . ${u.addr} {\n${opts}\n}`)
  assert.equal((await serve(h)).err?.rcode, Rcode.ServFail)
  assert.equal(fwds[0]!.proxies[0]!.health.running, false)
  assert.equal(u.queries.length, 2)
})

test('parallel: the fastest good answer wins; the slow one is measured, then dropped', async () => {
  const slowUp = await upstream((q) => slow(300, answer(q, [rr(q, '192.0.2.18')])))
  const fastUp = await upstream((q) => slow(20, answer(q, [rr(q, '192.0.2.19')])))
  const { h } = build(`forward . ${slowUp.addr} ${fastUp.addr} {\npolicy parallel\n}`)
  const s = await serve(h)
  assert.deepEqual(data(s), ['192.0.2.19'])
  assert.ok(s.ms < 150, `${s.ms} ms`)
  assert.equal(slowUp.queries.length, 1)
  await until(() => durations(slowUp, 'NOERROR') === 1, 1000, 'the late reply to be measured')
  assert.equal(s.w.writes, 1)
})

test('parallel: a quick SERVFAIL or REFUSED waits for a slower good answer', async () => {
  const sf = await upstream((q) => servfail(q))
  const rf = await upstream((q) => refused(q))
  const good = await upstream((q) => slow(100, nxdomain(q)))
  const { h } = build(`forward . ${sf.addr} ${rf.addr} ${good.addr} {\npolicy parallel\n}`)
  const s = await serve(h)
  assert.equal(rcode(s), 'NXDOMAIN')
})

test('parallel: SERVFAIL only when every upstream failed; an error when none replied', async () => {
  const sf = await upstream((q) => servfail(q))
  const silent = await upstream(() => drop())
  const opts = 'policy parallel\nread_timeout 150ms'
  const s = await serve(build(`forward . ${sf.addr} ${silent.addr} {\n${opts}\n}`).h)
  assert.equal(rcode(s), 'SERVFAIL')
  assert.ok(s.ms >= 140, 'waited for the silent one')
  const none = await serve(build(`forward . ${silent.addr} {\n${opts}\n}`).h)
  assert.equal(none.err?.rcode, Rcode.ServFail)
  assert.match(none.err!.message, /i\/o timeout/)
})

test('parallel skips down upstreams', async () => {
  const up = await upstream(a('192.0.2.20'))
  const down = await upstream(a('192.0.2.21'))
  const { h, fwds } = build(`forward . ${up.addr} ${down.addr} {\npolicy parallel\n}`)
  fwds[0]!.proxies[1]!.health.fails = 3
  assert.deepEqual(data(await serve(h)), ['192.0.2.20'])
  assert.equal(down.queries.length, 0)
})

test('stop: idle sockets close at once, a query in flight still completes', async () => {
  const u = await upstream((q) => slow(100, reply(q, { answers: [rr(q, '192.0.2.22')] })))
  const { h, fwds } = build(`forward . ${u.addr}`)
  await serve(h)
  const pool = fwds[0]!.proxies[0]!.udp
  assert.equal(pool.idle, 1)
  const inflight = serve(h)
  fwds[0]!.stop()
  assert.equal(pool.idle, 0)
  assert.deepEqual(data(await inflight), ['192.0.2.22'])
  assert.equal(pool.idle, 0, 'closed when its query ended')
})

test('max_idle_conns caps the idle sockets; max_age retires busy ones', async () => {
  const u = await upstream((q) => slow(20, answer(q, [rr(q, '192.0.2.23')])))
  const capped = build(`forward . ${u.addr} {\nmax_idle_conns 2\n}`)
  await Promise.all(Array.from({ length: 6 }, (_, i) => serve(capped.h, `c${i}.example.org`)))
  assert.equal(capped.fwds[0]!.proxies[0]!.udp.idle, 2)
  const aged = build(`forward . ${u.addr} {\nexpire 300ms\nmax_age 300ms\n}`)
  const before = u.queries.length
  for (let i = 0; i < 8; i++) {
    await serve(aged.h, `m${i}.example.org`)
    await new Promise((r) => setTimeout(r, 80))
  }
  const ports = new Set(u.queries.slice(before).map((q) => q.from.port))
  assert.ok(ports.size >= 2 && ports.size <= 4, `${ports.size} sockets for 8 queries over ~800 ms`)
})
