import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { ipv6Bytes, parseIp } from './ip.ts'
import { nameWire, parseRr, RrError, rrWire } from './rr.ts'

/** Decode one record with dns-packet, through a message holding just it. */
function decode(text: string): Record<string, unknown> {
  const rr = rrWire(parseRr(text))
  const msg = new Uint8Array(12 + rr.length)
  msg[7] = 1 // ancount
  msg.set(rr, 12)
  const a = dnsPacket.decode(Buffer.from(msg)).answers![0]! as unknown as Record<string, unknown>
  return { name: a['name'], type: a['type'], class: a['class'], ttl: a['ttl'], data: a['data'] }
}

test('records in zone-file text become the right wire records', () => {
  const cases: [string, Record<string, unknown>][] = [
    [
      'example.org. 60 IN A 10.0.0.1',
      { name: 'example.org', type: 'A', class: 'IN', ttl: 60, data: '10.0.0.1' },
    ],
    [
      'example.org A 10.0.0.1',
      { name: 'example.org', type: 'A', class: 'IN', ttl: 3600, data: '10.0.0.1' },
    ],
    [
      'example.org. IN 60 a 10.0.0.1',
      { name: 'example.org', type: 'A', class: 'IN', ttl: 60, data: '10.0.0.1' },
    ],
    [
      'example.org. 1h30m CH A 10.0.0.1',
      { name: 'example.org', type: 'A', class: 'CH', ttl: 5400, data: '10.0.0.1' },
    ],
    [
      'x. 60 IN AAAA 2001:db8::1',
      { name: 'x', type: 'AAAA', class: 'IN', ttl: 60, data: '2001:db8::1' },
    ],
    [
      'x. 60 IN AAAA ::ffff:1.2.3.4',
      { name: 'x', type: 'AAAA', class: 'IN', ttl: 60, data: '::ffff:102:304' },
    ],
    [
      'foogle.com 60 IN CNAME google.com',
      { name: 'foogle.com', type: 'CNAME', class: 'IN', ttl: 60, data: 'google.com' },
    ],
    [
      '4.3.2.1.in-addr.arpa. 60 IN PTR ip-1-2-3-4.example.',
      {
        name: '4.3.2.1.in-addr.arpa',
        type: 'PTR',
        class: 'IN',
        ttl: 60,
        data: 'ip-1-2-3-4.example',
      },
    ],
    [
      'example. 60 IN NS ns0.example.',
      { name: 'example', type: 'NS', class: 'IN', ttl: 60, data: 'ns0.example' },
    ],
    [
      'x. 60 IN MX 10 mail.x.',
      { name: 'x', type: 'MX', class: 'IN', ttl: 60, data: { preference: 10, exchange: 'mail.x' } },
    ],
    [
      '_sip._tcp.x. 60 IN SRV 1 2 5060 sip.x.',
      {
        name: '_sip._tcp.x',
        type: 'SRV',
        class: 'IN',
        ttl: 60,
        data: { priority: 1, weight: 2, port: 5060, target: 'sip.x' },
      },
    ],
    [
      'invalid. 60 IN SOA ns.invalid. hostmaster.invalid. (1 60 60 60 60)',
      {
        name: 'invalid',
        type: 'SOA',
        class: 'IN',
        ttl: 60,
        data: {
          mname: 'ns.invalid',
          rname: 'hostmaster.invalid',
          serial: 1,
          refresh: 60,
          retry: 60,
          expire: 60,
          minimum: 60,
        },
      },
    ],
    [
      'x. 60 IN SOA ns.x. h.x. (\n 2024010101 ; serial\n 1h 15m 1w 1d )',
      {
        name: 'x',
        type: 'SOA',
        class: 'IN',
        ttl: 60,
        data: {
          mname: 'ns.x',
          rname: 'h.x',
          serial: 2024010101,
          refresh: 3600,
          retry: 900,
          expire: 604800,
          minimum: 86400,
        },
      },
    ],
    [
      'x. 60 IN TXT "a b" c "q\\"d" "\\065\\\\"',
      {
        name: 'x',
        type: 'TXT',
        class: 'IN',
        ttl: 60,
        data: ['a b', 'c', 'q"d', 'A\\'].map((s) => Buffer.from(s)),
      },
    ],
    [
      'x. 60 IN CAA 0 issue "letsencrypt.org"',
      {
        name: 'x',
        type: 'CAA',
        class: 'IN',
        ttl: 60,
        data: { flags: 0, tag: 'issue', value: 'letsencrypt.org', issuerCritical: false },
      },
    ],
    [
      '@ 60 IN A 1.2.3.4 ; comment',
      { name: '.', type: 'A', class: 'IN', ttl: 60, data: '1.2.3.4' },
    ],
    [
      'x. 60 IN TYPE65280 \\# 3 abcdef',
      {
        name: 'x',
        type: 'UNKNOWN_65280',
        class: 'IN',
        ttl: 60,
        data: Buffer.from('abcdef', 'hex'),
      },
    ],
    [
      'x. 60 IN A 1.2.3.4\ny. 60 IN A 5.6.7.8',
      { name: 'x', type: 'A', class: 'IN', ttl: 60, data: '1.2.3.4' },
    ],
  ]
  for (const [text, want] of cases) assert.deepEqual(decode(text), want, text)
})

test('a TXT string longer than 255 octets is split, as miekg does', () => {
  const long = 'a'.repeat(300)
  const data = decode(`x. 60 IN TXT "${long}"`)['data'] as Buffer[]
  assert.deepEqual(
    data.map((b) => b.length),
    [255, 45],
  )
})

test('a CNAME keeps its absolute target for the lookup', () => {
  assert.equal(parseRr('a.example. 60 IN CNAME b.example').target, 'b.example.')
  assert.equal(parseRr('a.example. 60 IN A 1.2.3.4').target, undefined)
})

test('names: escapes, case kept, limits', () => {
  assert.deepEqual([...nameWire('A\\.b.c.')], [3, 0x41, 0x2e, 0x62, 1, 0x63, 0])
  assert.deepEqual([...nameWire('\\032x.')], [2, 32, 0x78, 0])
  assert.deepEqual([...nameWire('.')], [0])
  assert.throws(() => nameWire('a..b.'), /empty label/)
  assert.throws(() => nameWire(`${'a'.repeat(64)}.`), /longer than 63/)
  assert.throws(() => nameWire(`${'a.'.repeat(128)}`), /longer than 255/)
  assert.throws(() => nameWire('\\256.'), /out of range/)
  assert.equal(parseRr('Mixed.Case.Example. 60 IN A 1.2.3.4').name, 'Mixed.Case.Example.')
})

test('bad records are RrErrors that say what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['', /no record/],
    ['x. 60 IN', /unknown RR type: ""/],
    ['x. 60 IN BOGUS 1', /unknown RR type: "BOGUS"/],
    ['x. 60 IN A 1.2.3', /bad A rdata: "1.2.3"/],
    ['x. 60 IN A 01.2.3.4', /bad A rdata/],
    ['x. 60 IN A ::1', /bad A rdata/],
    ['x. 60 IN AAAA 1.2.3.4', /bad AAAA rdata/],
    ['x. 60 IN A 1.2.3.4 5.6.7.8', /bad A rdata: "5.6.7.8"/],
    ['x. 60 IN MX 70000 m.x.', /bad MX rdata: "70000"/],
    ['x. 60 IN SRV 1 2 3', /bad SRV rdata/],
    ['x. 60 IN SOA a. b. 1 2 3 4', /bad SOA rdata/],
    ['x. 60 IN CNAME a..b', /empty label/],
    ['x. 60 IN TXT "open', /unbalanced quotes/],
    ['x. 60 IN SOA a. b. (1 2 3 4 5', /unbalanced brace/],
    ['x. 60 IN HINFO a b', /HINFO records are not supported by tsdns/],
    ['x. 60 IN TYPE65280 \\# 2 abcdef', /bad TYPE65280 rdata/],
    ['<no value>. 60 IN A 1.2.3.4', /./],
  ]
  for (const [text, msg] of cases) {
    assert.throws(
      () => parseRr(text),
      (e: unknown) => e instanceof RrError && msg.test(e.message),
      text,
    )
  }
})

test('IP addresses follow Go net.ParseIP', () => {
  assert.deepEqual(ipv6Bytes('::'), new Uint8Array(16))
  assert.deepEqual([...ipv6Bytes('1::')!.subarray(0, 2)], [0, 1])
  assert.deepEqual([...ipv6Bytes('::1')!.subarray(14)], [0, 1])
  assert.equal(
    Buffer.from(ipv6Bytes('2001:db8:0:0:1:0:0:1')!).toString('hex'),
    '20010db8000000000001000000000001',
  )
  assert.equal(
    Buffer.from(ipv6Bytes('fe80::1.2.3.4')!).toString('hex'),
    'fe800000000000000000000001020304',
  )
  for (const bad of ['1:2:3:4:5:6:7', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', ':::', 'g::']) {
    assert.equal(ipv6Bytes(bad), undefined, bad)
  }
  assert.deepEqual([...parseIp('::ffff:10.1.2.3')!], [10, 1, 2, 3])
  assert.equal(parseIp('fe80::1%eth0')?.length, 16)
  assert.equal(parseIp('1.2.3.256'), undefined)
  assert.equal(parseIp('example'), undefined)
})
