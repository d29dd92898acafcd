// The forward handler in-process against scripted upstreams on loopback: what the client gets,
// what the upstream saw, and the metrics, for healthy and faulty upstreams.

import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import { after, before, test, type TestContext } from 'node:test'
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
}

async function serve(h: Handler, name = 'www.example.org', type = 'A', opts: QueryOpts = {},
): Promise<Served> {
  const w = new Recorder(undefined, opts.proto ?? 'udp')
  try {
    const rcode = await h.serveDNS(testContext, w, request(name, type, opts))
    return { rcode, err: undefined, w }
  } catch (err) {
    if (!(err instanceof PluginError)) throw err
    return { rcode: undefined, err, w }
  }
}

// Timeouts are asserted on a fake clock, not measured: node:test's mock timers stand in for
// setTimeout, setInterval and Date (forward's read timeouts, retry deadline, expiry, the fake
// upstream's delays) while sockets stay real. Only the test's own guards keep the real timer.
const realSetTimeout = globalThis.setTimeout

/** Freezes forward's clock for this test: time moves only by `clock.tick(ms)`. */
function fakeClock(t: TestContext): TestContext['mock']['timers'] {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] })
  return t.mock.timers
}

/** A serve() in progress: `done` turns true when it settles. */
function track(p: Promise<Served>): { done: boolean; served: Promise<Served> } {
  const s = { done: false, served: p }
  void p.finally(() => (s.done = true))
  return s
}

/** Lets sockets and promises run (I/O and immediates are not faked). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r))

/** `p`, which must settle with the fake clock standing still: no timeout ended it. */
async function withoutTimers<T>(p: Promise<T>, what: string): Promise<T> {
  let guard: ReturnType<typeof setTimeout> | undefined
  const stuck = new Promise<never>((_, reject) => {
    guard = realSetTimeout(() => reject(new Error(`${what}: waited for a timer`)), 5000)
  })
  try {
    return await Promise.race([p, stuck])
  } finally {
    clearTimeout(guard)
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

/** Polls `cond` on the real timer (also under a fake clock), for at most about `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > ms / 10) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => realSetTimeout(r, 10))
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

  test(`only a reply with ${what}: SERVFAIL after the read timeout`, async (t) => {
    const clock = fakeClock(t)
    const u = await upstream((q) => fault(q))
    const { h } = build(`forward . ${u.addr} {\nread_timeout 150ms\nmax_connect_attempts 1\n}`)
    const pending = track(serve(h))
    await until(() => dropped(u, reason) === 1, 5000, 'the bad reply to be dropped')
    clock.tick(149)
    await turn()
    assert.equal(pending.done, false, 'the bad reply did not end the wait')
    clock.tick(1)
    const s = await withoutTimers(pending.served, 'the read timeout')
    assert.equal(s.err?.rcode, Rcode.ServFail)
    assert.match(s.err!.message, /^plugin\/forward: read udp 127\.0\.0\.1:\d+: i\/o timeout$/)
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
  async (t) => {
    fakeClock(t) // standing still: no read timeout can end these exchanges
    const closed = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => closed.bind(0, '127.0.0.1', resolve))
    const port = closed.address().port
    closed.close()
    const u = await upstream(a('192.0.2.8'))
    const { h } = build(`forward . 127.0.0.1:${port} ${u.addr} {\npolicy sequential\n}`)
    const s = await withoutTimers(serve(h), 'the refused upstream')
    assert.deepEqual(data(s), ['192.0.2.8'])
    const alone = await withoutTimers(serve(build(`forward . 127.0.0.1:${port}`).h),
      'two refused tries')
    assert.equal(alone.err?.rcode, Rcode.ServFail)
    assert.match(alone.err!.message, /ECONNREFUSED/)
  })

test('a source_address that cannot be bound fails at once over UDP and TCP, as CoreDNS', async (t) => {
  fakeClock(t) // standing still: only the bind error can end these exchanges
  const u = await upstream(a('192.0.2.9'))
  for (const proto of ['', 'force_tcp']) {
    // 192.0.2.1 (TEST-NET-1) is on no interface here: bind() fails with EADDRNOTAVAIL
    const body = `forward . ${u.addr} {\nsource_address 192.0.2.1\n${proto}\n}`
    const s = await withoutTimers(serve(build(body).h), `an unbindable source (${proto || 'udp'})`)
    assert.equal(s.err?.rcode, Rcode.ServFail)
    assert.match(s.err!.message, /EADDRNOTAVAIL/)
  }
  assert.equal(u.queries.length, 0)
})

test('TCP: a wrong ID or question is dropped, the right reply accepted', async () => {
  const u = await upstream((q) => [wrongId(q), wrongQuestion(q), answer(q, [rr(q, '192.0.2.4')])])
  const { h } = build(`forward . ${u.addr}`)
  const s = await serve(h, 'www.example.org', 'A', { proto: 'tcp' })
  assert.deepEqual(data(s), ['192.0.2.4'])
  assert.equal(u.queries[0]!.proto, 'tcp')
  assert.equal(dropped(u, 'id') + dropped(u, 'question'), 2)
})

test('a slow upstream inside read_timeout is waited for', async (t) => {
  const clock = fakeClock(t)
  const u = await upstream((q) => slow(150, answer(q, [rr(q, '192.0.2.5')])))
  const { h } = build(`forward . ${u.addr} {\nread_timeout 500ms\n}`)
  const pending = track(serve(h))
  await u.waitForQueries(1)
  await turn() // the upstream has set its delay
  clock.tick(149)
  await turn()
  assert.equal(pending.done, false)
  clock.tick(1) // the upstream answers, 350 ms before the read timeout
  assert.deepEqual(data(await withoutTimers(pending.served, 'the slow answer')), ['192.0.2.5'])
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

/** Moves `clock` to `ms` after the query was sent, checking the serve is still pending. */
async function pendingUntil(clock: TestContext['mock']['timers'],
  pending: { done: boolean }, ms: number, from: number): Promise<void> {
  await turn()
  clock.tick(ms - from - 1)
  await turn()
  assert.equal(pending.done, false, `still waiting ${ms - 1} ms after the query`)
  clock.tick(1)
}

test('a silent upstream: asked twice (CoreDNS 1.14.7: 2 attempts per upstream), then SERVFAIL',
  async (t) => {
    const clock = fakeClock(t)
    const u = await upstream(() => drop())
    const { h } = build(`forward . ${u.addr} {\nmax_fails 0\n}`)
    const pending = track(serve(h))
    await u.waitForQueries(1)
    await pendingUntil(clock, pending, 2000, 0)
    await u.waitForQueries(2) // the second attempt, after the first read_timeout
    await pendingUntil(clock, pending, 4000, 2000)
    const s = await withoutTimers(pending.served, 'the second read timeout')
    assert.equal(s.err?.rcode, Rcode.ServFail)
    assert.equal(u.queries.length, 2, 'at 0 s and 2 s, each waited for read_timeout')
  })

// 0 is CoreDNS's "no limit", not the default
for (const attempts of ['3', '0']) {
  test(`with max_connect_attempts ${attempts}, a silent upstream is asked until the 5 s deadline`,
    async (t) => {
      const clock = fakeClock(t)
      const u = await upstream(() => drop())
      const { h } = build(`forward . ${u.addr} {\nmax_fails 0\nmax_connect_attempts ${attempts}\n}`)
      const pending = track(serve(h))
      await u.waitForQueries(1)
      await pendingUntil(clock, pending, 2000, 0)
      await u.waitForQueries(2)
      await pendingUntil(clock, pending, 4000, 2000)
      await u.waitForQueries(3)
      // CoreDNS 1.14.7 answers after 6.0 s too: the deadline stops new tries, not the last one
      await pendingUntil(clock, pending, 6000, 4000)
      const s = await withoutTimers(pending.served, 'the third read timeout')
      assert.equal(s.err?.rcode, Rcode.ServFail)
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

test('TCP connections are pipelined and reused, then expire', async (t) => {
  const clock = fakeClock(t)
  const u = await upstream((q) => slow(30, answer(q, [rr(q, '192.0.2.8')])))
  const { h } = build(`forward . ${u.addr} {\nforce_tcp\nexpire 300ms\n}`)
  /** The next `n` queries, answered 30 ms after the last arrived. */
  const answered = async (queries: Promise<Served>[]): Promise<Served[]> => {
    await u.waitForQueries(u.queries.length + queries.length)
    await turn()
    clock.tick(30)
    return withoutTimers(Promise.all(queries), 'the answers')
  }
  const batch = await answered(Array.from({ length: 10 }, (_, i) => serve(h, `p${i}.example`)))
  assert.ok(batch.every((s) => s.rcode === Rcode.NoError))
  assert.deepEqual(new Set(u.queries.map((q) => q.conn)), new Set([1]), 'ten in flight on one')
  assert.deepEqual([misses(u, 'tcp'), hits(u, 'tcp')], [1, 9])
  await answered([serve(h)])
  assert.equal(u.queries.at(-1)!.conn, 1, 'reused while fresh')
  clock.tick(301) // idle for longer than expire since its last answer
  await answered([serve(h)])
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
  const tries = (): number => misses(dead, 'udp') + hits(dead, 'udp')
  const first = await serve(h)
  assert.deepEqual(data(first), ['192.0.2.16'])
  assert.equal(tries(), 1, 'tried first (sequential), refused')
  assert.equal(fwds[0]!.proxies[0]!.health.running, true, 'the refused one is probed')
  const proxy = fwds[0]!.proxies[0]!
  await until(() => proxy.down(1), 1000, 'the dead upstream to be down')
  assert.ok(healthcheckFailures.child({ proxy_name: 'forward', to: dead.addr }).value >= 2)
  const second = await serve(h)
  assert.deepEqual(data(second), ['192.0.2.16'])
  assert.equal(tries(), 1, 'skipped the down upstream')

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

test('all upstreams down: a random one anyway, or SERVFAIL with failfast', async (t) => {
  fakeClock(t) // standing still: failfast answers without waiting for anything
  const u = await upstream(a('192.0.2.17'))
  const broken = healthcheckBroken.child({})
  const before = broken.value
  const spray = build(`forward . ${u.addr}`)
  spray.fwds[0]!.proxies[0]!.health.fails = 3
  assert.deepEqual(data(await serve(spray.h)), ['192.0.2.17'])
  const fast = build(`forward . ${u.addr} {\nfailfast_all_unhealthy_upstreams\n}`)
  fast.fwds[0]!.proxies[0]!.health.fails = 3
  const s = await withoutTimers(serve(fast.h), 'failfast')
  assert.equal(s.err?.rcode, Rcode.ServFail)
  assert.match(s.err!.message, /no healthy proxies/)
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

test('parallel: the fastest good answer wins; the slow one is measured, then dropped',
  async (t) => {
    const clock = fakeClock(t)
    const slowUp = await upstream((q) => slow(300, answer(q, [rr(q, '192.0.2.18')])))
    const fastUp = await upstream((q) => slow(20, answer(q, [rr(q, '192.0.2.19')])))
    const { h } = build(`forward . ${slowUp.addr} ${fastUp.addr} {\npolicy parallel\n}`)
    const pending = track(serve(h))
    await Promise.all([slowUp.waitForQueries(1), fastUp.waitForQueries(1)])
    await turn() // both upstreams have set their delays
    clock.tick(20) // the fast one answers; the slow one's 300 ms are not up
    const s = await withoutTimers(pending.served, 'the fast answer')
    assert.deepEqual(data(s), ['192.0.2.19'])
    assert.equal(durations(slowUp, 'NOERROR'), 0, 'answered before the slow reply')
    clock.tick(280)
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

test('parallel: SERVFAIL only when every upstream failed; an error when none replied',
  async (t) => {
    const clock = fakeClock(t)
    const sf = await upstream((q) => servfail(q))
    const silent = await upstream(() => drop())
    const opts = 'policy parallel\nread_timeout 150ms'
    const pending = track(serve(build(`forward . ${sf.addr} ${silent.addr} {\n${opts}\n}`).h))
    await until(() => durations(sf, 'SERVFAIL') === 1, 5000, 'the SERVFAIL to arrive')
    await pendingUntil(clock, pending, 150, 0) // waits for the silent one's read_timeout
    assert.equal(rcode(await withoutTimers(pending.served, 'the read timeout')), 'SERVFAIL')
    const alone = track(serve(build(`forward . ${silent.addr} {\n${opts}\n}`).h))
    await silent.waitForQueries(2)
    await pendingUntil(clock, alone, 150, 0)
    const none = await withoutTimers(alone.served, 'the read timeout')
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

test('max_idle_conns caps the idle sockets; max_age retires busy ones', async (t) => {
  const clock = fakeClock(t)
  const u = await upstream((q) => slow(20, answer(q, [rr(q, '192.0.2.23')])))
  /** Serves `name`, the upstream answering after its 20 ms. */
  const served = async (h: Handler, name: string): Promise<Served> => {
    const pending = serve(h, name)
    await until(() => u.queries.some((q) => q.name === name), 5000, name)
    await turn()
    clock.tick(20)
    return withoutTimers(pending, name)
  }
  const capped = build(`forward . ${u.addr} {\nmax_idle_conns 2\n}`)
  const six = Array.from({ length: 6 }, (_, i) => serve(capped.h, `c${i}.example.org`))
  await u.waitForQueries(6)
  await turn()
  clock.tick(20)
  await withoutTimers(Promise.all(six), 'six answers')
  assert.equal(capped.fwds[0]!.proxies[0]!.udp.idle, 2)
  const aged = build(`forward . ${u.addr} {\nexpire 300ms\nmax_age 300ms\n}`)
  const before = u.queries.length
  for (let i = 0; i < 8; i++) {
    await served(aged.h, `m${i}.example.org`)
    clock.tick(80) // a query every 100 ms: never idle for 300 ms, but older than 300 ms
  }
  const ports = u.queries.slice(before).map((q) => q.from.port)
  // sent at 0..700 ms: the socket of 0 ms is retired at 400 ms (older than 300 ms when taken)
  assert.deepEqual(ports.map((p) => p === ports[0]),
    [true, true, true, true, false, false, false, false])
  assert.equal(new Set(ports).size, 2)
})
