import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Token } from './ast.ts'
import { errorsOf } from './fixtures.test.ts'
import { listenKeys, listenKeysByBlock, normalizeZone, normalizeZones } from './keys.ts'

const tok = (text: string, col = 1): Token => ({
  text,
  file: 'Corefile',
  line: 1,
  col,
  length: text.length,
})
const keysOf = (port: number, ...texts: string[]) =>
  listenKeys({ keys: texts.map((t) => tok(t)), directives: [] }, port).map(
    (k) => `${k.zone}:${k.port}`,
  )

describe('CIDR keys become reverse zones (coredns cidr_test, normalize_test)', () => {
  const range = (from: number, to: number, zone: (i: number) => string) =>
    Array.from({ length: to - from + 1 }, (_, i) => zone(from + i))
  // prettier-ignore
  const cases: [string, string[]][] = [
    ['10.0.0.0/8', ['10.in-addr.arpa.']],
    ['10.0.0.0/15', ['0.10.in-addr.arpa.', '1.10.in-addr.arpa.']],
    ['10.9.3.0/18', range(0, 63, (i) => `${i}.9.10.in-addr.arpa.`)],
    ['192.168.1.1/23', ['0.168.192.in-addr.arpa.', '1.168.192.in-addr.arpa.']],
    ['10.0.0.0/27', range(0, 31, (i) => `${i}.0.0.10.in-addr.arpa.`)],
    ['2001:db8::/29', range(8, 15, (i) => `${i.toString(16)}.b.d.0.1.0.0.2.ip6.arpa.`)],
    ['10.0.0.0/24', ['0.0.10.in-addr.arpa.']],
    ['10.1.2.3/32', ['3.2.1.10.in-addr.arpa.']],
    ['0.0.0.0/0', ['in-addr.arpa.']],
    ['172.16.0.0/12', range(16, 31, (i) => `${i}.172.in-addr.arpa.`)],
    ['2001:db8::/32', ['8.b.d.0.1.0.0.2.ip6.arpa.']],
    ['fd00:1:2::/47', ['2.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa.', '3.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa.']],
    ['2001:db8::1:2/128', ['2.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.']],
    ['1::ffff:10.0.0.0/124', ['0.0.0.0.0.a.0.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.ip6.arpa.']],
  ]
  for (const [cidr, zones] of cases) {
    test(cidr, () => assert.deepEqual(normalizeZone(cidr), zones))
  }

  test('a CIDR key keeps its port for every zone', () => {
    assert.deepEqual(keysOf(53, '10.0.0.0/15:1053'), [
      '0.10.in-addr.arpa.:1053',
      '1.10.in-addr.arpa.:1053',
    ])
  })

  test('strings that only look like CIDRs are zones', () => {
    assert.deepEqual(normalizeZone('10.0.0.0/33'), ['10.0.0.0/33.'])
    assert.deepEqual(normalizeZone('010.0.0.0/8'), ['010.0.0.0/8.'])
    assert.deepEqual(normalizeZone('10.0.0/8'), ['10.0.0/8.'])
  })
})

describe('normalizeZone (plugin.Host.NormalizeExact)', () => {
  // prettier-ignore
  const cases: [string, string[]][] = [
    ['.', ['.']],
    ['Example.ORG', ['example.org.']],
    ['example.org.', ['example.org.']],
    ['example.org:53', ['example.org.']],
    ['dns://example.org:1053', ['example.org.']],
    ['tls://example.org', ['example.org.']],
    ['cluster.local', ['cluster.local.']],
    ['in-addr.arpa', ['in-addr.arpa.']],
    ['a\\.b', ['a\\.b.']],
    ['a\\.', ['a\\..']],
    ['a\\\\.', ['a\\\\.']],
    ['example.org:+53', ['example.org.']],
    // SplitHostPort: a port Atoi refuses (beyond int64) is part of the zone, as any colon is
    ['example.org:9223372036854775808', ['example.org:9223372036854775808.']],
    ['example.org:-9223372036854775809', ['example.org:-9223372036854775809.']],
    ['example.org:53x', ['example.org:53x.']],
  ]
  for (const [input, zones] of cases)
    test(input, () => assert.deepEqual(normalizeZone(input), zones))

  test('invalid zones throw with the CoreDNS message', () => {
    assert.throws(() => normalizeZone('a..b'), { message: 'zone is not a valid domain name: a..b' })
    assert.throws(() => normalizeZone('example.org:'), {
      message: 'expecting data after last colon: "example.org:"',
    })
    assert.throws(() => normalizeZone(''), { message: 'expecting data after last colon: ""' })
  })

  test('normalizeZones points at the bad token', () => {
    assert.deepEqual(normalizeZones([tok('Example.org'), tok('10.0.0.0/15')]), [
      'example.org.',
      '0.10.in-addr.arpa.',
      '1.10.in-addr.arpa.',
    ])
    const [e] = errorsOf(() =>
      normalizeZones([tok('ok.example'), tok('bad..example', 12)], 'cache'),
    )
    assert.deepEqual(
      [e!.code, e!.col, e!.plugin, e!.message],
      [
        'COREFILE_VALUE',
        12,
        'cache',
        'Corefile:1:12 - plugin/cache: zone is not a valid domain name: bad..example',
      ],
    )
  })
})

describe('listen keys', () => {
  test('default port, key port, scheme', () => {
    assert.deepEqual(keysOf(1053, '.', 'example.org:53', 'dns://a.example', 'dns://b.example:0'), [
      '.:1053',
      'example.org.:53',
      'a.example.:1053',
      'b.example.:0',
    ])
  })

  test('a port Atoi takes but no listener can (net.ResolveTCPAddr: invalid port)', () => {
    const [e] = errorsOf(() => keysOf(53, 'example.org:9223372036854775807'))
    assert.match(e!.detail, /^invalid port \d+ in 'example.org:9223372036854775807'/)
  })

  test('a zone of 255 bytes fails once fully qualified', () => {
    const name = Array(4).fill('a'.repeat(63)).join('.')
    assert.equal(name.length, 255)
    const [e] = errorsOf(() => keysOf(53, name))
    assert.equal(e!.detail, 'specified zone is too long: 256 > 255')
  })

  test('the same zone on two ports is fine', () => {
    assert.deepEqual(keysOf(53, 'example.org', 'example.org:1053'), [
      'example.org.:53',
      'example.org.:1053',
    ])
  })

  test('duplicates point at the later key', () => {
    const [e] = errorsOf(() =>
      listenKeys({ keys: [tok('example.org'), tok('EXAMPLE.org:53', 13)], directives: [] }, 53),
    )
    assert.deepEqual(
      [e!.code, e!.col, e!.detail],
      [
        'COREFILE_KEY',
        13,
        'cannot serve dns://example.org.:53 - it is already defined (at Corefile:1:1)',
      ],
    )
  })
})

describe('tls:// keys and blocks with views', () => {
  const block = (keys: string[], view = false, line = 1) => ({
    keys: keys.map((k) => ({ ...tok(k), line })),
    directives: view ? [{ name: { ...tok('view'), line: line + 1 }, args: [] }] : [],
  })
  const urls = (blocks: ReturnType<typeof block>[]) =>
    listenKeysByBlock(blocks, 1053).map((ks) => ks.map((k) => `${k.transport}://${k.zone}:${k.port}`))

  test('tls:// defaults to port 853; dns:// and tls:// of one zone and port are distinct', () => {
    assert.deepEqual(urls([block(['tls://example.org', 'tls://.:8853', '.:8853'])]), [
      ['tls://example.org.:853', 'tls://.:8853', 'dns://.:8853'],
    ])
  })

  test('the same key twice is an error without views, and allowed when a block has one', () => {
    const [e] = errorsOf(() => urls([block(['.']), block(['.'], false, 5)]))
    assert.match(e!.detail, /^cannot serve dns:\/\/\.:1053 - it is already defined \(at Corefile:1:1\)$/)
    assert.deepEqual(urls([block(['.'], true), block(['.'], true, 5), block(['.'], false, 9)]), [
      ['dns://.:1053'], ['dns://.:1053'], ['dns://.:1053'],
    ])
    const [t] = errorsOf(() => urls([block(['tls://.']), block(['tls://.'], false, 5)]))
    assert.match(t!.detail, /^cannot serve tls:\/\/\.:853 - it is already defined/)
  })
})
