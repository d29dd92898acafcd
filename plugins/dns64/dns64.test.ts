import assert from 'node:assert/strict'
import { test } from 'node:test'
import { throwsLocated } from '../../test/helpers/located.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { replyMsg } from '../../src/plugin/msg.ts'
import type { Addr, Handler, Msg, RequestContext } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import { rcodeName } from '../../test/helpers/query.ts'
import { rr } from '../../test/helpers/rr.ts'
import { Dns64Handler, embed, type Dns64Config } from './dns64.ts'
import { parseDns64 } from './setup.ts'

function parse(body: string): Dns64Config {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parseDns64(blocks[0]!.directives)
}

const WKP = [0, 0x64, 0xff, 0x9b, ...Array<number>(12).fill(0)]

const valid: Array<[string, Partial<Dns64Config>]> = [
  ['dns64', { prefix: WKP, prefixLength: 96, translateAll: false, allowIPv4: false }],
  ['dns64 64:1337::/96', { prefix: [0, 0x64, 0x13, 0x37, ...WKP.slice(4)], prefixLength: 96 }],
  ['dns64 {\n prefix 2001:db8::/32\n}', { prefixLength: 32 }],
  ['dns64 {\n translate_all\n}', { translateAll: true, prefixLength: 96 }],
  [
    'dns64 64:ff9b:1::/48 {\n allow_ipv4\n translate_all\n}',
    { prefixLength: 48, translateAll: true, allowIPv4: true },
  ],
]
for (const [body, want] of valid) {
  test(`parses: ${body.replace(/\n/g, ' ')}`, () => {
    const got = parse(body)
    for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof Dns64Config], v, k)
  })
}

// fails
const invalid: Array<[string, string, number, number, string]> = [
  ['dns64 a b', 'COREFILE_ARGS', 2, 9, 'wrong argument count'],
  ['dns64 10.0.0.0/8', 'COREFILE_VALUE', 2, 7, 'invalid netmask 32 IPv6 address'],
  ['dns64 64:ff9b::/100', 'COREFILE_VALUE', 2, 7, 'invalid prefix length'],
  ['dns64 64:ff9b::/60', 'COREFILE_VALUE', 2, 7, 'invalid prefix length'],
  ['dns64 64:ff9b::/24', 'COREFILE_VALUE', 2, 7, 'invalid prefix length'],
  ['dns64 nonsense', 'COREFILE_VALUE', 2, 7, 'invalid CIDR address'],
  ['dns64 {\n prefix\n}', 'COREFILE_ARGS', 3, 2, 'wrong argument count'],
  ['dns64 {\n translate_all yes\n}', 'COREFILE_UNKNOWN', 3, 16, "unknown property 'yes'"],
  ['dns64 {\n foo\n}', 'COREFILE_UNKNOWN', 3, 2, "unknown property 'foo'"],
]
for (const [body, code, line, col, fragment] of invalid) {
  test(`fails: ${body.replace(/\n/g, ' ')}`, () => {
    throwsLocated(() => parse(body), code, line, col, fragment)
  })
}

// RFC 6052 §2.4: 192.0.2.33 embedded under each prefix length.
const rfc6052: Array<[string, string]> = [
  ['2001:db8::/32', '2001:db8:c000:221::'],
  ['2001:db8:100::/40', '2001:db8:1c0:2:21::'],
  ['2001:db8:122::/48', '2001:db8:122:c000:2:2100::'],
  ['2001:db8:122:300::/56', '2001:db8:122:3c0:0:221::'],
  ['2001:db8:122:344::/64', '2001:db8:122:344:c0:2:2100:0'],
  ['2001:db8:122:344::/96', '2001:db8:122:344::c000:221'],
]
for (const [prefix, want] of rfc6052) {
  test(`RFC 6052: 192.0.2.33 under ${prefix} is ${want}`, () => {
    const v6 = embed(parse(`dns64 ${prefix}`), [192, 0, 2, 33])
    assert.deepEqual(v6, [...Buffer.from(expand(want))])
  })
}

/** 16 bytes of an IPv6 text address (test-side, independent of the code under test). */
function expand(s: string): Uint8Array {
  const [head, tail = ''] = s.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const zeros = Array<string>(8 - h.length - t.length).fill('0')
  const groups = s.includes('::') ? [...h, ...zeros, ...t] : h
  return Uint8Array.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]))
}

const V6: Addr = { address: '2001:db8::5', port: 5353, family: 6 }
const V4: Addr = { address: '10.0.0.5', port: 5353, family: 4 }

interface Setup {
  cfg?: string
  remote?: Addr
  /** The chain's answer to the AAAA query. */
  aaaa?: (r: Parameters<Handler['serveDNS']>[2]) => Msg | number
  /** What resolve() finds for the A query. */
  a?: Msg
}

async function run(s: Setup) {
  const looked: string[] = []
  const ctx: RequestContext = {
    ...testContext,
    resolve: async (name, type) => {
      looked.push(`${name} ${type}`)
      return s.a ?? { type: 'response', answers: [rr(`${name} 300 IN A 192.0.2.33`)] }
    },
  }
  const next: Handler = {
    name: 'test',
    serveDNS(_ctx, w, r) {
      const m = s.aaaa ? s.aaaa(r) : replyMsg(r, 0, 0x8180)
      if (typeof m === 'number') return m
      w.writeMsg(m, 'test')
      return 0
    },
  }
  const cell = { value: 0 }
  const h = new Dns64Handler(parse(s.cfg ?? 'dns64'), next, cell)
  const w = new Recorder(s.remote ?? V6)
  const rc = await h.serveDNS(ctx, w, request('ipv4only.example.', 'AAAA'))
  return { rc, w, looked, translated: cell.value }
}

const aaaaOf = (w: Recorder) =>
  (w.msg.answers ?? []).map((a) => {
    const { ttl, data } = a as { ttl: number; data: string }
    return [a.name, a.type, ttl, data]
  })

/** The AAAA reply of the chain: with these records as the answer. */
const withAnswer =
  (...zone: string[]) =>
  (r: Parameters<Handler['serveDNS']>[2]): Msg => ({
    ...replyMsg(r, 0, 0x8180),
    answers: zone.map((z) => rr(z.replace('NAME', r.qname))),
  })

test('an empty AAAA answer is made from the A records under the well-known prefix', async () => {
  const { rc, w, looked, translated } = await run({})
  assert.equal(rc, Rcode.NoError)
  assert.deepEqual(looked, ['ipv4only.example. 1'])
  assert.deepEqual(aaaaOf(w), [['ipv4only.example', 'AAAA', 300, '64:ff9b::c000:221']])
  assert.equal(w.msg.questions?.[0]?.type, 'AAAA')
  assert.equal(w.by, 'dns64')
  assert.equal(translated, 1)
})

test('TTL: the smaller of the A TTL and the SOA TTL of the AAAA reply, else 600', async () => {
  const soa = rr('example. 60 IN SOA ns.example. h.example. 1 2 3 4 5')
  const withSoa = await run({ aaaa: (r) => ({ ...replyMsg(r, 0, 0x8180), authorities: [soa] }) })
  assert.equal(aaaaOf(withSoa.w)[0]?.[2], 60)
  const long = await run({
    a: { type: 'response', answers: [rr('ipv4only.example. 7200 IN A 192.0.2.33')] },
  })
  assert.equal(aaaaOf(long.w)[0]?.[2], 600)
})

test('CNAMEs of the A answer pass unchanged, their targets translated', async () => {
  const a: Msg = {
    type: 'response',
    answers: [
      rr('ipv4only.example. 30 IN CNAME v4.example.'),
      rr('v4.example. 30 IN A 198.51.100.1'),
    ],
  }
  const { w } = await run({ a })
  assert.deepEqual(aaaaOf(w), [
    ['ipv4only.example', 'CNAME', 30, 'v4.example'],
    ['v4.example', 'AAAA', 30, '64:ff9b::c633:6401'],
  ])
})

test('no synthesis: AAAA present, NXDOMAIN, IPv4 client, other types', async () => {
  const withAaaa = await run({ aaaa: withAnswer('NAME 60 IN AAAA 2001:db8::1') })
  assert.deepEqual(withAaaa.looked, [])
  assert.deepEqual(aaaaOf(withAaaa.w), [['ipv4only.example', 'AAAA', 60, '2001:db8::1']])
  const nx = await run({ aaaa: (r) => replyMsg(r, Rcode.NXDomain, 0x8180) })
  assert.deepEqual([nx.looked, rcodeName(nx.w.wire!)], [[], 'NXDOMAIN'])
  const v4 = await run({ remote: V4 })
  assert.deepEqual([v4.looked, aaaaOf(v4.w)], [[], []])
  assert.equal(v4.translated, 0)
})

test('translate_all replaces AAAA answers; allow_ipv4 serves IPv4; errors translate', async () => {
  const all = await run({
    cfg: 'dns64 {\n translate_all\n}',
    aaaa: withAnswer('NAME 60 IN AAAA 2001:db8::1'),
  })
  assert.deepEqual(aaaaOf(all.w), [['ipv4only.example', 'AAAA', 300, '64:ff9b::c000:221']])
  const v4 = await run({ cfg: 'dns64 {\n allow_ipv4\n}', remote: V4 })
  assert.equal(aaaaOf(v4.w).length, 1)
  const servfail = await run({ aaaa: (r) => replyMsg(r, Rcode.ServFail, 0x8180) })
  assert.equal(aaaaOf(servfail.w).length, 1)
})

test('a chain that writes nothing is left to the server', async () => {
  const { rc, w, looked } = await run({ aaaa: () => Rcode.ServFail })
  assert.deepEqual([rc, w.writes, looked], [Rcode.ServFail, 0, []])
})
