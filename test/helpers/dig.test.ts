// dig and kdig against a real unbound (UDP, TCP, DoT), and the parser on both output formats.

import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { dig, parseDig } from './dig.ts'
import type { DigTool } from './dig.ts'
import { freePort } from './ports.ts'
import { startUnbound } from './unbound.ts'
import type { Unbound } from './unbound.ts'

const TXT = Array.from({ length: 30 }, (_, i) =>
  `big.example.org. 300 IN TXT "record ${i} with some padding to make the answer big enough"`)

describe('dig and kdig against unbound', () => {
  let u: Unbound
  before(async () => {
    u = await startUnbound({
      zones: ['example.org.'],
      records: [
        'example.org. 300 IN SOA ns.example.org. host.example.org. 1 3600 600 86400 60',
        'www.example.org. 300 IN A 127.0.0.2',
        'www.example.org. 300 IN AAAA ::2',
        'txt.example.org. 60 IN TXT "hello  world" "second"',
        'mx.example.org. 60 IN MX 10 mail.example.org.',
        ...TXT,
      ],
    })
  })
  after(() => u.stop())

  for (const tool of ['dig', 'kdig'] as const satisfies DigTool[]) {
    describe(tool, () => {
      it('answers over UDP with header, flags and records', async () => {
        const r = await dig({ tool, port: u.port, name: 'www.example.org', type: 'A' })
        assert.equal(r.status, 'NOERROR', r.raw)
        assert.deepEqual(r.flags, ['qr', 'aa', 'rd', 'ra'])
        assert.deepEqual(r.question, [{ name: 'www.example.org.', class: 'IN', type: 'A' }])
        assert.deepEqual(r.answer, [
          { name: 'www.example.org.', ttl: 300, class: 'IN', type: 'A', data: '127.0.0.2' },
        ])
        assert.equal(r.proto, 'UDP')
        assert.equal(typeof r.queryTimeMs, 'number')
        assert.ok(r.msgSize && r.msgSize > 12)
      })

      it('answers over TCP; TXT and MX data are kept as printed', async () => {
        const r = await dig({ tool, port: u.port, name: 'txt.example.org', type: 'TXT',
          opts: ['+tcp'] })
        assert.equal(r.proto, 'TCP')
        assert.equal(r.answer[0]?.data, '"hello  world" "second"')
        const mx = await dig({ tool, port: u.port, name: 'mx.example.org', type: 'MX' })
        assert.equal(mx.answer[0]?.data, '10 mail.example.org.')
      })

      it('NXDOMAIN carries the SOA in authority; +norec clears RD', async () => {
        const r = await dig({ tool, port: u.port, name: 'nope.example.org', opts: ['+norec'] })
        assert.equal(r.status, 'NXDOMAIN')
        assert.deepEqual(r.flags, ['qr', 'aa', 'ra'])
        assert.equal(r.authority[0]?.type, 'SOA')
        assert.equal(r.authority[0]?.name, 'example.org.')
      })

      it('REFUSED outside the test zones (unbound never recurses)', async () => {
        const r = await dig({ tool, port: u.port, name: 'example.com' })
        assert.equal(r.status, 'REFUSED')
      })

      it('EDNS: +dnssec sets DO, the reply echoes udp size', async () => {
        const r = await dig({ tool, port: u.port, name: 'www.example.org', opts: ['+dnssec'] })
        assert.deepEqual(r.ednsFlags, ['do'])
        assert.equal(r.ednsVersion, 0)
        assert.equal(r.ednsUdp, 1232)
      })

      it('+noedns: no OPT in the reply', async () => {
        const r = await dig({ tool, port: u.port, name: 'www.example.org', opts: ['+noedns'] })
        assert.equal(r.status, 'NOERROR')
        assert.equal(r.ednsUdp, undefined)
        assert.equal(r.ednsVersion, undefined)
      })

      it('a truncated UDP answer shows tc with +ignore', async () => {
        const r = await dig({ tool, port: u.port, name: 'big.example.org', type: 'TXT',
          opts: ['+ignore', '+bufsize=512'] })
        assert.equal(r.status, 'NOERROR')
        assert.ok(r.flags.includes('tc'), r.raw)
        assert.equal(r.answer.length, 0)
        // without +ignore the tool retries over TCP and gets everything
        const full = await dig({ tool, port: u.port, name: 'big.example.org', type: 'TXT',
          opts: ['+bufsize=512'] })
        assert.equal(full.answer.length, TXT.length)
        assert.equal(full.proto, 'TCP')
      })

      it('EDNS version 1 gets BADVERS', async () => {
        // dig retries with version 0 unless +noednsnegotiation
        const opts = tool === 'dig' ? ['+edns=1', '+noednsnegotiation'] : ['+edns=1']
        const r = await dig({ tool, port: u.port, name: 'www.example.org', opts })
        assert.equal(r.status, 'BADVERS')
        assert.equal(r.ednsVersion, 0)
      })

      it('UNREACHABLE when nothing listens on the TCP port', async () => {
        const port = await freePort()
        const r = await dig({ tool, port, name: 'www.example.org', opts: ['+tcp'], timeSec: 1 })
        assert.equal(r.status, 'UNREACHABLE', r.raw)
        assert.ok(r.errors.length > 0)
      })

      it('DNS over TLS, verifying the generated certificate', async () => {
        assert.ok(u.tlsPort && u.certPath)
        const r = await dig({ tool, port: u.tlsPort, name: 'www.example.org',
          opts: ['+tls', `+tls-ca=${u.certPath}`] })
        assert.equal(r.status, 'NOERROR', r.raw)
        assert.equal(r.proto, 'TLS')
        assert.equal(r.answer[0]?.data, '127.0.0.2')
      })
    })
  }

  it('kdig +tls-hostname that does not match the certificate fails (ERROR)', async () => {
    assert.ok(u.tlsPort && u.certPath)
    const r = await dig({ tool: 'kdig', port: u.tlsPort, name: 'www.example.org',
      opts: [`+tls-ca=${u.certPath}`, '+tls-hostname=wrong.example'], timeSec: 1 })
    assert.equal(r.status, 'ERROR', r.raw)
  })
})

describe('parseDig', () => {
  it('parses dig output', () => {
    const r = parseDig(`
; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> @127.0.0.1 -p 15353 nope.example.org A
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 12396
;; flags: qr aa rd ra; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags: do; udp: 1232
;; QUESTION SECTION:
;nope.example.org.		IN	A

;; AUTHORITY SECTION:
example.org.		60	IN	SOA	ns.example.org. host.example.org. 1 3600 600 86400 60

;; Query time: 3 msec
;; SERVER: 127.0.0.1#15353(127.0.0.1) (UDP)
;; MSG SIZE  rcvd: 89
`)
    assert.equal(r.status, 'NXDOMAIN')
    assert.equal(r.id, 12396)
    assert.deepEqual(r.flags, ['qr', 'aa', 'rd', 'ra'])
    assert.deepEqual(r.ednsFlags, ['do'])
    assert.equal(r.ednsUdp, 1232)
    assert.equal(r.queryTimeMs, 3)
    assert.equal(r.msgSize, 89)
    assert.equal(r.authority[0]?.data, 'ns.example.org. host.example.org. 1 3600 600 86400 60')
  })

  it('parses kdig output', () => {
    const r = parseDig(`;; ->>HEADER<<- opcode: QUERY; status: NOERROR; id: 54565
;; Flags: qr aa tc rd ra; QUERY: 1; ANSWER: 0; AUTHORITY: 0; ADDITIONAL: 1

;; EDNS PSEUDOSECTION:
;; Version: 0; flags: ; UDP size: 1232 B; ext-rcode: NOERROR

;; QUESTION SECTION:
;; big.example.org.    		IN	TXT

;; Received 44 B
;; Time 2026-11-22 04:33:14 UTC
;; From 127.0.0.1@15353(UDP) in 0.5 ms
`)
    assert.equal(r.status, 'NOERROR')
    assert.deepEqual(r.flags, ['qr', 'aa', 'tc', 'rd', 'ra'])
    assert.deepEqual(r.ednsFlags, [])
    assert.equal(r.ednsUdp, 1232)
    assert.equal(r.queryTimeMs, 0.5)
    assert.equal(r.proto, 'UDP')
    assert.deepEqual(r.question, [{ name: 'big.example.org.', class: 'IN', type: 'TXT' }])
  })

  it('maps failures without a reply', () => {
    const cases: [string, number, string][] = [
      [';; connection timed out; no servers could be reached\n', 9, 'TIMEOUT'],
      [';; communications error to 127.0.0.1#53: timed out\n;; no servers could be reached\n',
        9, 'TIMEOUT'],
      [';; WARNING: response timeout for 127.0.0.1@53(UDP)\n' +
        ';; ERROR: failed to query server 127.0.0.1@53(UDP)\n', 1, 'TIMEOUT'],
      [';; Connection to 127.0.0.1#53(127.0.0.1) for x failed: connection refused.\n' +
        ';; no servers could be reached\n', 9, 'UNREACHABLE'],
      [";; WARNING: can't connect to 127.0.0.1@53(TCP)\n", 1, 'UNREACHABLE'],
      [';; WARNING: TLS, handshake failed (Error in the certificate.)\n', 1, 'ERROR'],
    ]
    for (const [text, code, status] of cases) {
      assert.equal(parseDig(text, code).status, status, text)
    }
  })

  it('takes the last message (+qr prints the query first); +noall +answer is UNKNOWN', () => {
    const r = parseDig(`;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1
;; flags: rd; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0
;; ->>HEADER<<- opcode: QUERY, status: SERVFAIL, id: 1
;; flags: qr rd ra; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0
`)
    assert.equal(r.status, 'SERVFAIL')
    assert.deepEqual(r.flags, ['qr', 'rd', 'ra'])
    const s = parseDig('www.example.org.\t300\tIN\tA\t127.0.0.2\n')
    assert.equal(s.status, 'UNKNOWN')
    assert.equal(s.answer[0]?.data, '127.0.0.2')
  })
})
