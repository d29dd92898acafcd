import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { Flag } from '../../src/wire/message.ts'
import type { Request } from '../../src/plugin/plugin.ts'
import { collect } from '../../src/plugin/metadata.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { parseQuery, WireRequest } from '../../src/wire/request.ts'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import { cacheKey } from './cache.ts'
import { CacheHandler } from './handler.ts'
import { compressedA, flagsOf, Harness, reply, SOA } from './testkit.ts'

/** A refresh that never settles must fail the test, not hang the run. */
const BOUNDED = { timeout: 5000 }

/** `name` asked with the AD bit set (dns-packet queries never set it). */
function adQuery(name: string): WireRequest {
  const wire = new Uint8Array(request(name).wire)
  wire[3] = wire[3]! | Flag.AD
  const r = parseQuery(wire, 'udp')
  assert.ok(r instanceof WireRequest)
  return r
}

test('positive: the second answer is cached, AA set, TTL counting down', BOUNDED, async () => {
  const t = new Harness()
  const first = await t.ask('www.example.org')
  assert.equal(first.msg.flag_aa, false)
  assert.deepEqual(first.ttls, [300])
  assert.equal(first.w.by, 'forward')
  t.advance(10)
  const second = await t.ask('www.example.org')
  assert.equal(t.up.queries.length, 1)
  assert.equal(second.w.by, 'cache')
  assert.equal(second.rc, Rcode.NoError)
  assert.equal(second.msg.flag_aa, true)
  assert.equal(second.msg.flag_ra, true)
  assert.equal(second.msg.flag_rd, true)
  assert.equal(second.msg.id, 1234)
  assert.deepEqual(second.ttls, [290])
  assert.deepEqual(second.data, ['192.0.2.1'])
  assert.equal(t.cells.requests.value, 2)
  assert.equal(t.cells.hits.success.value, 1)
  assert.equal(t.cells.misses.value, 1)
  assert.equal(t.cache.success.size, 1)
})

test('the client gets its ID and question case, and names compressed to it', BOUNDED, async () => {
  const t = new Harness('cache', (r) => compressedA(r, 300))
  await t.ask('www.example.org')
  const hit = await t.ask('WwW.ExAmPlE.oRg', 'A', { id: 4321 })
  assert.equal(t.up.queries.length, 1, 'case does not split the key')
  assert.equal(hit.msg.id, 4321)
  assert.equal(hit.msg.questions?.[0]?.name, 'WwW.ExAmPlE.oRg')
  assert.equal(hit.msg.answers?.[0]?.name, 'WwW.ExAmPlE.oRg')
})

test('TTLs: all records get the stored TTL, clamped to MINTTL and TTL', BOUNDED, async () => {
  const t = new Harness('cache 30', (r) =>
    reply(r, [`${r.qname} 2 IN A 192.0.2.1`, `${r.qname} 900 IN A 192.0.2.2`], {
      authority: ['example.org. 600 IN NS ns.example.org.'],
    }))
  const low = await t.ask('low.example.org')
  assert.deepEqual(low.ttls, [5, 5, 5], 'minimum TTL 2 is raised to MINTTL 5')
  const t2 = new Harness('cache 30', (r) => reply(r, [`${r.qname} 900 IN A 192.0.2.1`]))
  assert.deepEqual((await t2.ask('high.example.org')).ttls, [30])
  t2.advance(29)
  assert.deepEqual((await t2.ask('high.example.org')).ttls, [1])
  t2.advance(1)
  await t2.ask('high.example.org')
  assert.equal(t2.up.queries.length, 2, 'expired after 30 s')
})

test('TTLs above an hour are cached for an hour at most, as CoreDNS does', BOUNDED, async () => {
  const day = (r: Request) => reply(r, [`${r.qname} 86400 IN A 192.0.2.1`])
  const t = new Harness('cache {\n success 9984 86400\n}', day)
  assert.deepEqual((await t.ask('a.example.org')).ttls, [3600])
})

test('NXDOMAIN with SOA: a denial kept for the SOA\'s TTL, not MINIMUM', BOUNDED, async () => {
  // SOA TTL 300, MINIMUM 60: CoreDNS 1.14.7 keeps it (and shows it) for 300 s
  const t = new Harness('cache', (r) => reply(r, [], { rcode: Rcode.NXDomain, authority: [SOA] }))
  const first = await t.ask('nope.example.org')
  assert.equal(first.rcode, 'NXDOMAIN')
  assert.deepEqual(first.ttls, [300])
  t.advance(299)
  const hit = await t.ask('nope.example.org')
  assert.equal(hit.rcode, 'NXDOMAIN')
  assert.equal(hit.msg.flag_aa, true)
  assert.deepEqual(hit.ttls, [1])
  assert.equal(t.cells.hits.denial.value, 1)
  assert.equal(t.cache.denial.size, 1)
  t.advance(1)
  await t.ask('nope.example.org')
  assert.equal(t.up.queries.length, 2)
})

// Each case as CoreDNS 1.14.7 answered it behind `forward`, for NXDOMAIN and NODATA alike: the
// TTL on the miss and on a hit 1 s later is the SOA record's TTL, capped by the denial TTL (1800
// by default), raised to its MINTTL; the SOA's MINIMUM field plays no part.
const denials: [corefile: string, soaTtl: number, minimum: number, miss: number][] = [
  ['cache', 3600, 300, 1800],
  ['cache', 3600, 30, 1800],
  ['cache', 60, 300, 60],
  ['cache', 2, 300, 5],
  ['cache {\n denial 9984 100 20\n}', 3600, 30, 100],
  ['cache {\n denial 9984 100 20\n}', 10, 300, 20],
]
for (const [corefile, soaTtl, minimum, miss] of denials) {
  const soa = `example.org. ${soaTtl} IN SOA ns.example.org. h.example.org. 1 2 3 4 ${minimum}`
  for (const rcode of [Rcode.NXDomain, Rcode.NoError]) {
    const block = corefile.replace(/\n ?/g, ' ')
    const what = `${block}, SOA TTL ${soaTtl} MINIMUM ${minimum}, rcode ${rcode}`
    test(`denial TTL: ${what}`, BOUNDED, async () => {
      const t = new Harness(corefile, (r) => reply(r, [], { rcode, authority: [soa] }))
      assert.deepEqual((await t.ask('nope.example.org')).ttls, [miss])
      t.advance(1)
      assert.deepEqual((await t.ask('nope.example.org')).ttls, [miss - 1])
      assert.equal(t.up.queries.length, 1)
    })
  }
}

test('NODATA with SOA is cached; NXDOMAIN and NODATA without SOA are not', BOUNDED, async () => {
  const nodata = new Harness('cache', (r) => reply(r, [], { authority: [SOA] }))
  await nodata.ask('a.example.org', 'AAAA')
  const hit = await nodata.ask('a.example.org', 'AAAA')
  assert.equal(nodata.up.queries.length, 1)
  assert.equal(hit.rcode, 'NOERROR')
  assert.equal(hit.msg.answers?.length, 0)
  for (const rcode of [Rcode.NXDomain, Rcode.NoError]) {
    const t = new Harness('cache', (r) => reply(r, [], { rcode }))
    await t.ask('a.example.org', 'AAAA')
    await t.ask('a.example.org', 'AAAA')
    assert.equal(t.up.queries.length, 2, `rcode ${rcode} without SOA`)
  }
})

test('a SERVFAIL reply is cached for `servfail` (default 5 s; 0: off)', BOUNDED, async () => {
  const t = new Harness('cache', (r) => reply(r, [], { rcode: Rcode.ServFail }))
  await t.ask('down.example.org')
  t.advance(4)
  const hit = await t.ask('down.example.org')
  assert.equal(hit.rcode, 'SERVFAIL')
  assert.equal(hit.w.by, 'cache')
  assert.equal(t.up.queries.length, 1)
  t.advance(1)
  await t.ask('down.example.org')
  assert.equal(t.up.queries.length, 2)

  const off = new Harness('cache {\n servfail 0\n}', (r) => reply(r, [], { rcode: Rcode.ServFail }))
  await off.ask('down.example.org')
  await off.ask('down.example.org')
  assert.equal(off.up.queries.length, 2)
})

test('an rcode returned without a reply is passed on, not cached', BOUNDED, async () => {
  const t = new Harness('cache', () => Rcode.ServFail)
  const rc = await t.h.serveDNS(testContext, new Recorder(), request('x.example.org'))
  assert.equal(rc, Rcode.ServFail)
  await t.h.serveDNS(testContext, new Recorder(), request('x.example.org'))
  assert.equal(t.up.queries.length, 2)
})

test('DO and CD bits are part of the key; the class too', BOUNDED, async () => {
  const t = new Harness()
  await t.ask('k.example.org')
  await t.ask('k.example.org', 'A', { do: true })
  await t.ask('k.example.org', 'A', { cd: true })
  await t.ask('k.example.org', 'A', { do: true, cd: true })
  await t.ask('k.example.org', 'A', { class: 'CH' })
  assert.equal(t.up.queries.length, 5)
  await t.ask('k.example.org', 'A', { do: true, cd: true })
  await t.ask('K.EXAMPLE.ORG', 'A', { udpSize: 1232 })
  assert.equal(t.up.queries.length, 5, 'same bits, any case, any buffer size: hits')
})

test("the query sent on with AD set keeps the client's deadline and metadata store", BOUNDED, async () => {
  const t = new Harness()
  const r = request('ctx.example.org') as WireRequest // no AD: the cache sends a copy with AD set
  r.deadline = t.now + 1500 // as cancel sets it
  collect(r, ['.'], {})
  await t.h.serveDNS(testContext, new Recorder(), r)
  const sent = t.up.queries[0]!
  assert.notEqual(sent, r, 'a copy')
  assert.equal(sent.deadline, r.deadline, "forward's tries stop at cancel's deadline")
  assert.equal(sent.metadata, r.metadata, "what forward publishes (forward/upstream), log reads")
})

test('a CNAME chain short of the type asked is NODATA: a denial with an SOA, not kept without', BOUNDED, async () => {
  // AAAA of a name aliased to an IPv4-only one: CoreDNS 1.14.7 caches it as NODATA, for the
  // denial TTL, and not at all without an SOA (cache.go key, cacheResponseType)
  const t = new Harness('cache 300 {\n success 9984 300\n denial 9984 5\n}', (r) =>
    reply(r, [`${r.qname} 60 IN CNAME v4only.example.org.`], {
      authority: r.name.startsWith('soa.') ? [SOA] : [],
    }))
  const first = await t.ask('soa.example.org', 'AAAA')
  assert.deepEqual(first.ttls, [5, 5], 'capped at the denial TTL')
  const again = await t.ask('soa.example.org', 'AAAA')
  assert.equal(again.w.by, 'cache')
  assert.equal(t.cells.hits.denial.value, 1)
  assert.equal(t.cells.hits.success.value, 0)
  assert.equal(t.cache.denial.size, 1)
  await t.ask('bare.example.org', 'AAAA')
  const bare = await t.ask('bare.example.org', 'AAAA')
  assert.equal(bare.w.by, 'forward', 'not cached: asked again')
  assert.equal(t.up.queries.length, 3)
  assert.equal(t.cache.success.size, 0, 'neither kept as a positive answer')
})

test("a miss passes on no OPT, as a hit: the client's EDNS comes back, not the upstream's", BOUNDED, async () => {
  const serverCookie = Buffer.from('0011223344556677aabbccddeeff0011', 'hex')
  const t = new Harness('cache', (r) => reply(r, [`${r.qname} 300 IN A 192.0.2.1`], {
    additional: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: [{ code: 10, data: serverCookie }] } as never],
  }))
  const miss = await t.ask('edns.example.org', 'A', { udpSize: 1232 })
  assert.equal(miss.w.by, 'forward')
  assert.deepEqual(miss.msg.additionals, [], "the upstream's OPT (its cookie) is not passed on")
  const hit = await t.ask('edns.example.org', 'A', { udpSize: 1232 })
  assert.equal(hit.w.by, 'cache')
  assert.equal(miss.w.wire!.length, hit.w.wire!.length, 'the same reply as the hit after it')
})

test('AD: set upstream, kept, shown only to clients asking with AD or DO', BOUNDED, async () => {
  const flags = Flag.RA | Flag.AD
  const t = new Harness('cache', (r) => reply(r, [`${r.qname} 300 IN A 192.0.2.1`], { flags }))
  const plain = await t.ask('ad.example.org') // dns-packet queries carry no AD
  assert.ok((t.up.queries[0]!.flags & Flag.AD) !== 0, 'the upstream query has AD set')
  assert.equal(plain.msg.flag_ad, false, 'miss: AD cleared for a client without AD/DO')
  assert.equal((await t.ask('ad.example.org')).msg.flag_ad, false)
  const withAd = new Recorder()
  t.h.serveDNS(testContext, withAd, adQuery('ad.example.org'))
  assert.ok((flagsOf(withAd) & Flag.AD) !== 0, 'hit: AD for a client that set AD')
  const doAsk = await t.ask('ad.example.org', 'A', { do: true })
  assert.equal(doAsk.msg.flag_ad, true, 'DO client (its own entry) sees AD')
  assert.equal(t.up.queries.length, 2)
})

test('a truncated reply is never cached; its TTLs are clamped as CoreDNS does', BOUNDED, async () => {
  const flags = Flag.RA | Flag.TC
  const t = new Harness('cache', (r) =>
    reply(r, [`${r.qname} 2 IN A 192.0.2.1`, `${r.qname} 7200 IN A 192.0.2.2`], { flags }))
  const first = await t.ask('big.example.org')
  assert.equal(first.msg.flag_tc, true)
  // CoreDNS's cache writer sets every reply's TTLs to the clamped minimum, stored or not
  assert.deepEqual(first.ttls, [5, 5])
  await t.ask('big.example.org')
  assert.equal(t.up.queries.length, 2)
  assert.equal(t.cells.drops.value, 0)
})

test('a truncated reply cut mid-record is passed on untouched, not a drop', BOUNDED, async () => {
  const full = (r: Request): Uint8Array =>
    dnsPacket.encode(reply(r, [`${r.qname} 7200 IN A 192.0.2.1`], { flags: Flag.RA | Flag.TC }))
  const t = new Harness('cache', (r) => full(r).subarray(0, full(r).length - 2))
  const w = new Recorder()
  const r = request('cut.example.org')
  await t.h.serveDNS(testContext, w, r)
  assert.deepEqual([...w.wire!], [...full(r).subarray(0, full(r).length - 2)])
  assert.equal(t.cells.drops.value, 0)
})

test('a reply to another question: passed on, not cached, a drop', BOUNDED, async () => {
  const t = new Harness('cache', (r) => {
    const m = reply(r, ['other.example.org. 300 IN A 192.0.2.9'])
    m.questions = [{ name: 'other.example.org', type: 'A', class: 'IN' }]
    return m
  })
  const first = await t.ask('asked.example.org')
  assert.equal(first.msg.questions?.[0]?.name, 'other.example.org')
  await t.ask('asked.example.org')
  assert.equal(t.up.queries.length, 2)
  assert.equal(t.cells.drops.value, 2)
})

test('a reply without the QR bit: not cached, a drop', BOUNDED, async () => {
  const t = new Harness('cache', (r) => ({
    ...reply(r, [`${r.qname} 300 IN A 192.0.2.1`]),
    type: 'query' as const,
  }))
  await t.ask('noqr.example.org')
  await t.ask('noqr.example.org')
  assert.equal(t.up.queries.length, 2)
  assert.equal(t.cells.drops.value, 2)
})

test('an unparsable reply is passed on untouched and counted as a drop', BOUNDED, async () => {
  const t = new Harness('cache', () => new Uint8Array([0, 0, 0x81, 0x80, 0, 1, 0, 1]))
  const w = new Recorder()
  await t.h.serveDNS(testContext, w, request('bad.example.org'))
  assert.deepEqual([...w.wire!], [0, 0, 0x81, 0x80, 0, 1, 0, 1])
  assert.equal(t.cells.drops.value, 1)
})

test('no OPT is stored: hits carry none (the server mirrors EDNS)', BOUNDED, async () => {
  const t = new Harness('cache', (r) =>
    reply(r, [`${r.qname} 300 IN A 192.0.2.1`], {
      additional: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as never],
    }))
  const miss = await t.ask('opt.example.org', 'A', { udpSize: 4096 })
  assert.equal(miss.msg.additionals?.length, 0, 'nor passed on (CoreDNS 1.14.7 filterRRSlice)')
  const hit = await t.ask('opt.example.org', 'A', { udpSize: 4096 })
  assert.equal(hit.msg.additionals?.length, 0)
  assert.equal(dnsPacket.decode(Buffer.from(hit.w.wire!)).answers?.length, 1)
})

test('capacity: the least recently used entry is evicted and counted', BOUNDED, async () => {
  const t = new Harness('cache {\n success 1000\n}') // rounded like CoreDNS: 256 shards of 4
  for (let i = 0; i < 1025; i++) await t.ask(`n${i}.example.org`)
  assert.equal(t.cache.success.size, 1024)
  assert.equal(t.cells.evictions.success.value, 1)
  await t.ask('n1.example.org')
  assert.equal(t.up.queries.length, 1025, 'n1 still cached')
  await t.ask('n0.example.org')
  assert.equal(t.up.queries.length, 1026, 'n0 was evicted')
})

test('memory is bounded by bytes too under a flood of unique large answers', BOUNDED, async () => {
  const txt = `"${'x'.repeat(250)}"`
  const big = (r: Request) => reply(r, Array(40).fill(`${r.qname} 300 IN TXT ${txt}`))
  const t = new Harness('cache {\n success 1024\n}', big)
  for (let i = 0; i < 600; i++) await t.ask(`f${i}.example.org`, 'TXT')
  const bytes = t.cache.success.calculatedSize
  assert.ok(bytes <= 1024 * 4096, `${bytes} bytes stored`)
  assert.ok(t.cache.success.size < 600, `only ${t.cache.success.size} of 600 ~10 KB entries kept`)
  assert.ok(t.cells.evictions.success.value > 0)
})

test('keepttl: hits keep the original TTL', BOUNDED, async () => {
  const t = new Harness('cache {\n keepttl\n}')
  await t.ask('keep.example.org')
  t.advance(100)
  assert.deepEqual((await t.ask('keep.example.org')).ttls, [300])
})

test('disable success|denial ZONES: those replies are not stored', BOUNDED, async () => {
  const corefile = 'cache {\n disable success example.org\n disable denial example.net\n}'
  const t = new Harness(corefile, (r) =>
    r.name.startsWith('nx')
      ? reply(r, [], { rcode: Rcode.NXDomain, authority: [SOA] })
      : reply(r, [`${r.qname} 300 IN A 192.0.2.1`]))
  const names = ['a.example.org.', 'a.example.net.', 'nx.example.net.', 'nx.example.org.']
  for (const name of [...names, ...names]) await t.ask(name)
  assert.deepEqual(t.up.queries.map((q) => q.name), [...names, 'a.example.org.', 'nx.example.net.'])
})

test('names outside the cache zones pass through untouched', BOUNDED, async () => {
  const t = new Harness('cache example.org')
  await t.ask('www.example.net')
  await t.ask('www.example.net')
  await t.ask('www.example.org')
  await t.ask('www.example.org')
  assert.equal(t.up.queries.length, 3)
  assert.equal(t.cells.requests.value, 2)
})

test('without a next plugin a miss is a SERVFAIL error', BOUNDED, () => {
  const t = new Harness()
  const lonely = new CacheHandler(t.cache, undefined, t.cells)
  assert.throws(
    () => lonely.serveDNS(testContext, new Recorder(), request('x.example.org')),
    /plugin\/cache: no next plugin found/,
  )
})

test('cacheKey: name, type, class, DO and CD all tell keys apart, beyond one byte too; A IN is the name', () => {
  const cases: [string, string, { do?: boolean; cd?: boolean; class?: string }][] = [
    ['a.example.org', 'A', {}], ['A.Example.ORG', 'A', {}], ['a.example.org', 'AAAA', {}],
    ['a.example.org', 'A', { do: true }], ['a.example.org', 'A', { cd: true }],
    ['a.example.org', 'A', { do: true, cd: true }], ['a.example.org', 'CAA', {}],
    ['a.example.org', 'CAA', { do: true }], ['a.example.org', 'TXT', { class: 'CH' }],
    ['a.example.org', 'A', { class: 'CH' }],
  ]
  const keys = cases.map(([name, type, opts]) => cacheKey(request(name, type, opts)))
  // the first two differ only in case: one key; every other case a key of its own
  assert.equal(keys[0], keys[1])
  assert.equal(new Set(keys).size, cases.length - 1)
  for (const [i, [, type, opts]] of cases.entries()) {
    const r = request(cases[i]![0], type, opts)
    const bits = (opts.do ? 1 : 0) | (opts.cd ? 2 : 0)
    const plainA = type === 'A' && opts.class === undefined && bits === 0
    assert.equal(keys[i], plainA ? 'a.example.org.' : `a.example.org.\0${String.fromCharCode(r.type, r.class, bits)}`)
  }
})
