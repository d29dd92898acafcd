// Every fault mode of the fake upstream, observed through the raw client and through dig.

import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { dig } from './dig.ts'
import {
  answer, answerFrom, drop, fakeUpstream, nxdomain, refused, servfail, slow, spoofed, truncated,
  wrongId, wrongQuestion,
} from './fake-upstream.ts'
import type { FakeHandler, FakeUpstream } from './fake-upstream.ts'
import { answerData, buildQuery, decode, rcodeName, tcpQuery, udpQuery, udpQueryAll,
  udpQueryFrom } from './query.ts'

describe('fakeUpstream', () => {
  let up: FakeUpstream
  let handler: FakeHandler = () => undefined
  before(async () => {
    up = await fakeUpstream((q) => handler(q))
  })
  after(() => up.close())

  const ask = (name: string, opts = {}) =>
    udpQuery(up.host, up.port, buildQuery(name, 'A', { id: 4242 }), { timeoutMs: 500, ...opts })

  it('answers a Packet, fills in the query id and records the query', async () => {
    handler = (q) => answer(q, ['ok.example. 60 IN A 192.0.2.1'])
    const before = up.queries.length
    const reply = await udpQuery(up.host, up.port,
      buildQuery('ok.example', 'A', { id: 7, edns: { udpSize: 1400, do: true } }))
    assert.ok(reply)
    const m = decode(reply)
    assert.equal(m.id, 7)
    assert.equal(rcodeName(reply), 'NOERROR')
    assert.deepEqual(answerData(m), ['192.0.2.1'])
    const q = up.queries[before]
    assert.ok(q)
    assert.equal(q.proto, 'udp')
    assert.equal(q.id, 7)
    assert.equal(q.name, 'ok.example')
    assert.equal(q.rd, true)
    assert.deepEqual(q.edns && { udpSize: q.edns.udpSize, do: q.edns.do, version: q.edns.version },
      { udpSize: 1400, do: true, version: 0 })
    assert.equal(q.from.address, '127.0.0.1')
    assert.ok(q.from.port > 0)
  })

  it('servfail, refused, nxdomain set the rcode', async () => {
    for (const [fn, rcode] of [[servfail, 'SERVFAIL'], [refused, 'REFUSED'],
      [nxdomain, 'NXDOMAIN']] as const) {
      handler = fn
      const reply = await ask('x.example')
      assert.ok(reply)
      assert.equal(rcodeName(reply), rcode)
    }
  })

  it('drop is silence: udpQuery resolves undefined', async () => {
    handler = drop
    const t0 = Date.now()
    assert.equal(await ask('silent.example', { timeoutMs: 200 }), undefined)
    assert.ok(Date.now() - t0 >= 190)
  })

  it('slow delays the reply', async () => {
    handler = (q) => slow(150, answer(q, []))
    const t0 = Date.now()
    assert.ok(await ask('slow.example'))
    assert.ok(Date.now() - t0 >= 140, 'reply came too early')
    assert.equal(await ask('slow.example', { timeoutMs: 50 }), undefined)
  })

  it('truncated sets TC with no records; the answer then comes over TCP', async () => {
    handler = (q) =>
      q.proto === 'udp' ? truncated(q) : answer(q, [`${q.name}. 60 IN A 192.0.2.2`])
    const udp = await ask('big.example')
    assert.ok(udp)
    const m = decode(udp)
    assert.equal(m.flag_tc, true)
    assert.equal(m.answers?.length, 0)
    const tcp = await tcpQuery(up.host, up.port, buildQuery('big.example', 'A'))
    assert.ok(tcp)
    assert.equal(decode(tcp).answers?.length, 1)
    assert.equal(up.queries.at(-1)?.proto, 'tcp')
  })

  it('wrongId and wrongQuestion send mismatching replies', async () => {
    handler = (q) => wrongId(q)
    const a = await ask('id.example')
    assert.ok(a)
    assert.equal(decode(a).id, 4243)
    handler = (q) => wrongQuestion(q)
    const b = await ask('q.example')
    assert.ok(b)
    assert.equal(decode(b).id, 4242)
    assert.equal(decode(b).questions?.[0]?.name, 'wrong.q.example')
  })

  it('a list of actions sends several replies in order', async () => {
    handler = (q) => [wrongId(q), answer(q, [])]
    const replies = await udpQueryAll(up.host, up.port, buildQuery('two.example', 'A',
      { id: 100 }), { timeoutMs: 200 })
    assert.deepEqual(replies.map((r) => decode(r.reply).id), [101, 100])
  })

  it('spoofed replies come from another port: a connected client never sees them', async () => {
    handler = (q) => spoofed(answer(q, ['spoof.example. 60 IN A 192.0.2.66']))
    assert.equal(await ask('spoof.example', { timeoutMs: 200 }), undefined)
    const seen = await udpQueryFrom(up.host, up.port, buildQuery('spoof.example', 'A'),
      { connect: false, timeoutMs: 500 })
    assert.ok(seen)
    assert.notEqual(seen.from.port, up.port)
    assert.deepEqual(answerData(seen.reply), ['192.0.2.66'])
  })

  it('raw bytes are sent as given', async () => {
    handler = () => Buffer.from([1, 2, 3])
    assert.deepEqual(await ask('raw.example'), Buffer.from([1, 2, 3]))
  })

  it('TCP: pipelined queries on one connection, close action, connection numbers', async () => {
    handler = (q) => (q.name === 'close.example' ? { close: true }
      : q.name === 'late.example' ? slow(100, answer(q, [])) : answer(q, []))
    const replies = await tcpQuery(up.host, up.port, [
      buildQuery('late.example', 'A', { id: 1 }),
      buildQuery('early.example', 'A', { id: 2 }),
    ])
    // arrival order, not query order
    assert.deepEqual(replies.map((r) => decode(r).id), [2, 1])
    const last2 = up.queries.slice(-2)
    assert.equal(last2[0]?.conn, last2[1]?.conn)
    const t0 = Date.now()
    assert.equal(await tcpQuery(up.host, up.port, buildQuery('close.example', 'A'),
      { timeoutMs: 2000 }), undefined)
    assert.ok(Date.now() - t0 < 1000, 'close should end the exchange early')
  })

  it('answerFrom serves a record list; dig sees it over UDP and TCP', async () => {
    handler = answerFrom(['www.example.org. 120 IN A 192.0.2.10',
      'www.example.org. 120 IN AAAA 2001:db8::10'])
    for (const opts of [[], ['+tcp']]) {
      const r = await dig({ port: up.port, name: 'www.example.org', opts })
      assert.equal(r.status, 'NOERROR')
      assert.deepEqual(r.answer.map((a) => a.data), ['192.0.2.10'])
      const nx = await dig({ port: up.port, name: 'nope.example.org', opts })
      assert.equal(nx.status, 'NXDOMAIN')
    }
  })

  it('dig reports a dropped query as TIMEOUT and SERVFAIL as its status', async () => {
    handler = drop
    const r = await dig({ port: up.port, name: 'drop.example', timeSec: 1 })
    assert.equal(r.status, 'TIMEOUT')
    handler = servfail
    assert.equal((await dig({ tool: 'kdig', port: up.port, name: 'sf.example' })).status,
      'SERVFAIL')
  })

  it('waitForQueries resolves once enough queries arrived, rejects in time otherwise', async () => {
    handler = drop
    const n = up.queries.length
    const waiting = up.waitForQueries(n + 1, 1000)
    await udpQuery(up.host, up.port, buildQuery('w.example'), { timeoutMs: 10 })
    assert.equal((await waiting).length, n + 1)
    await assert.rejects(up.waitForQueries(n + 5, 50), /got \d+ of \d+ queries/)
  })
})

describe('fakeUpstream on ::1', () => {
  it('serves UDP and TCP on IPv6 loopback', async (t) => {
    const up = await fakeUpstream((q) => answer(q, []), { host: '::1' })
    t.after(() => up.close())
    assert.equal(up.addr, `[::1]:${up.port}`)
    assert.ok(await udpQuery('::1', up.port, buildQuery('v6.example')))
    assert.ok(await tcpQuery('::1', up.port, buildQuery('v6.example')))
    assert.equal(up.queries[0]?.from.address, '::1')
  })
})
