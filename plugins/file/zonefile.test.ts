// The master-file reader: directives, relative names, omitted fields, escapes, located errors.

import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { readBounded } from '../../src/corefile/read.ts'
import { nameWire } from '../../src/dns/rr.ts'
import { parseZoneFile, type ParseOptions, soaSerial, UnchangedSerial, ZoneFileError, type ZoneRecord } from './zonefile.ts'

const opts: ParseOptions = { file: 'db.test', origin: 'example.org.', read: readBounded }
const parse = (text: string, o: Partial<ParseOptions> = {}): ZoneRecord[] => parseZoneFile(text, { ...opts, ...o })
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function fails(text: string, line: number, col: number, fragment: string | RegExp): void {
  assert.throws(
    () => parse(text),
    (e: unknown) => {
      assert.ok(e instanceof ZoneFileError, String(e))
      assert.equal(e.file, 'db.test')
      assert.deepEqual([e.line, e.col], [line, col], e.message)
      assert.match(e.detail, typeof fragment === 'string' ? new RegExp(fragment.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')) : fragment)
      return true
    },
  )
}

test('owners: @, relative, absolute, omitted, and $ORIGIN changes', () => {
  const rrs = parse(
    [
      '@ 60 IN A 192.0.2.1',
      '  AAAA ::1',
      'www A 192.0.2.2',
      'Mixed.Case.example.org. A 192.0.2.3',
      '$ORIGIN sub.example.org.',
      'a A 192.0.2.4',
      '$ORIGIN deeper',
      'b A 192.0.2.5',
    ].join('\n'),
  )
  assert.deepEqual(
    rrs.map((r) => r.name),
    ['example.org.', 'example.org.', 'www.example.org.', 'mixed.case.example.org.', 'a.sub.example.org.', 'b.deeper.sub.example.org.'],
  )
  // owners are stored lowercased on the wire too, as CoreDNS does
  assert.equal(hex(rrs[3]!.owner), hex(nameWire('mixed.case.example.org.')))
})

test('TTL: $TTL, else the last one written, else 3600; TTL and class in either order', () => {
  const rrs = parse(['a A 192.0.2.1', 'b 300 A 192.0.2.2', 'c A 192.0.2.3', '$TTL 1h', 'd IN 20 A 192.0.2.4', 'e A 192.0.2.5'].join('\n'))
  assert.deepEqual(rrs.map((r) => r.ttl), [3600, 300, 300, 20, 3600])
  assert.deepEqual(rrs.map((r) => r.class), [1, 1, 1, 1, 1])
  assert.equal(parse('a CH 1w2d TXT x')[0]!.ttl, 9 * 86400)
  assert.equal(parse('a CH 1w2d TXT x')[0]!.class, 3)
})

test('parentheses span lines, comments anywhere, SOA serial read back', () => {
  const [soa] = parse('@ IN SOA ns hostmaster ( ; comment\n 2024010101 ; serial\n 2h 1h 2w\n 5m ) ; end\n')
  assert.equal(soa!.type, 6)
  assert.equal(soaSerial(soa!.rdata), 2024010101)
  assert.equal(hex(soa!.rdata).slice(-32), '00001c2000000e1000127500' + '0000012c')
})

test('rdata of the common types', () => {
  const one = (text: string): string => hex(parse(text)[0]!.rdata)
  assert.equal(one('a A 192.0.2.1'), 'c0000201')
  assert.equal(one('a AAAA 2001:db8::1'), '20010db8000000000000000000000001')
  assert.equal(one('a CNAME Target'), '06746172676574076578616d706c65036f726700') // lowercased
  assert.equal(one('a MX 10 mail.example.net.'), '000a046d61696c076578616d706c65036e657400')
  assert.equal(one('a SRV 1 2 3 Sip'), '00010002000303536970076578616d706c65036f726700') // SRV keeps case
  assert.equal(one('a TXT "hello world" two \\"q\\" semi\\;colon'), '0b68656c6c6f20776f726c640374776f03227122' + '0a73656d693b636f6c6f6e')
  assert.equal(one('a TXT "\\065\\066"'), '024142')
  assert.equal(one('a CAA 0 issue "ca.example"'), '0005697373756563612e6578616d706c65')
  assert.equal(one('a DS 12345 8 2 49FD46E6 C4B4'), '30390802' + '49fd46e6c4b4')
  assert.equal(one('a DNSKEY 257 3 8 AwEAAQ=='), '01010308' + '03010001')
  assert.equal(one('a NSEC b A MX RRSIG NSEC'), '0162076578616d706c65036f726700' + '0006' + '400100000003')
  assert.equal(one('a TYPE65280 \\# 4 0a000001'), '0a000001')
  assert.equal(one('a A \\# 4 c0000201'), 'c0000201')
  assert.equal(one('a SSHFP 1 1 dead beef'), '0101deadbeef')
  assert.equal(one('a TLSA 3 1 1 00ff'), '03010100ff')
  assert.equal(one('a PTR host.'), '04686f737400')
})

test('a long TXT string is split into 255-octet character-strings', () => {
  const rdata = parse(`a TXT "${'x'.repeat(300)}"`)[0]!.rdata
  assert.deepEqual([rdata[0], rdata[256], rdata.length], [255, 45, 302])
})

test('targets of the types lookups follow', () => {
  const rrs = parse('a CNAME B\nb MX 1 Mail\nc SRV 0 0 1 Sip\nd DNAME Example.NET.\n@ NS ns1')
  assert.deepEqual(rrs.map((r) => r.target), ['b.example.org.', 'mail.example.org.', 'Sip.example.org.', 'Example.NET.', 'ns1.example.org.'])
})

test('escaped dots and special characters in owners', () => {
  const [rr] = parse('has\\.dot A 192.0.2.1\n')
  assert.equal(rr!.name, 'has\\.dot.example.org.')
  assert.equal(hex(rr!.owner).slice(0, 16), '076861732e646f74')
  assert.equal(parse('has\\046dot A 192.0.2.1')[0]!.name, 'has\\.dot.example.org.')
})

test('$INCLUDE reads a file relative to the including one, with its own origin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zone-include-'))
  writeFileSync(join(dir, 'inc.db'), 'x A 192.0.2.9\n$ORIGIN other.\ny A 192.0.2.10\n')
  const rrs = parse('$INCLUDE inc.db sub\nz A 192.0.2.11\n', { file: join(dir, 'main.db') })
  assert.deepEqual(rrs.map((r) => r.name), ['x.sub.example.org.', 'y.other.', 'z.example.org.'])
  writeFileSync(join(dir, 'self.db'), '$INCLUDE self.db\n')
  assert.throws(() => parse('$INCLUDE self.db', { file: join(dir, 'main.db') }), /nested more than 7 deep/)
})

test('a reload stops at an unchanged serial', () => {
  const text = '@ SOA ns hm 5 1 1 1 1\nbad A x'
  assert.throws(() => parse(text, { unchangedSerial: 5 }), UnchangedSerial)
  assert.throws(() => parse(text, { unchangedSerial: 4 }), ZoneFileError)
})

test('bounds: records and entry size', () => {
  assert.throws(() => parse('a A 192.0.2.1\nb A 192.0.2.2\nc A 192.0.2.3', { maxRecords: 2 }), /more than 2 records/)
  fails(`a TXT ( ${'"x" '.repeat(70_000)} )`, 1, 262148, 'entry longer than')
})

// fails
test('errors name the line and column and say what was expected', () => {
  fails('www A 192.0.2.1\nbad A 1.2.3', 2, 7, "A record: bad '1.2.3', expecting an IPv4 address")
  fails('a MX mail', 1, 6, "MX record: bad 'mail', expecting a number (0-65535)")
  fails('a MX 10', 1, 6, 'MX record: missing a domain name')
  fails('a A 192.0.2.1 extra', 1, 15, "A record: unexpected 'extra'")
  fails('a FOO x', 1, 3, "unknown record type 'FOO'")
  fails('a 300 IN', 1, 7, 'record has no type')
  fails('  A 192.0.2.1', 1, 3, 'no owner name for this record')
  fails('a TXT "open', 1, 7, 'quoted string not closed on its line')
  fails('a SOA ( ns hm\n 1 2 3 4 5', 1, 7, "'(' never closed")
  fails('a A 192.0.2.1 )', 1, 15, "')' without an opening '('")
  fails('$TTL soon', 1, 6, "bad $TTL 'soon'")
  fails('$ORIGIN', 1, 1, '$ORIGIN takes one value')
  fails('$GENERATE 1-10 host$ A 192.0.2.$', 1, 1, '$GENERATE is not supported by tsdns')
  fails('$FOO bar', 1, 1, "unknown directive '$FOO'")
  fails('a.. A 192.0.2.1', 1, 1, "bad owner name 'a..'")
  fails(`${'x'.repeat(64)} A 192.0.2.1`, 1, 1, 'label longer than 63 octets')
  fails('a HINFO "cpu"', 1, 9, 'HINFO record: missing a character string')
  fails('a TYPE65280 \\# 3 0a00', 1, 18, '\\# length 3 does not match the 2 hex octets')
  fails('a APL 1:192.0.2.0/24', 1, 3, 'APL rdata is read only in RFC 3597 form by tsdns')
  fails('$INCLUDE nowhere.db', 1, 10, '$INCLUDE nowhere.db')
})
