import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { request } from '../../test/dnstest.ts'
import { rr } from '../../test/helpers/rr.ts'
import { Metadata, publish } from '../../src/plugin/metadata.ts'
import type { WireRequest } from '../../src/wire/request.ts'
import type { Addr } from '../../src/plugin/plugin.ts'
import {
  COMBINED_FORMAT,
  COMMON_FORMAT,
  compileFormat,
  goFloat,
  goSeconds,
  render,
  type Entry,
} from './format.ts'

const v6client: Addr = { address: '::1', port: 50759, family: 6 }
const local: Addr = { address: '127.0.0.1', port: 53, family: 4 }

function reply(flags: number, answers = 1): Uint8Array {
  return dnsPacket.encode({
    id: 29008,
    type: 'response',
    flags,
    questions: [{ name: 'example.org', type: 'A', class: 'IN' }],
    answers: Array.from({ length: answers }, (_, i) =>
      rr(`example.org. 300 IN A 192.0.2.${i + 1}`),
    ),
  })
}

function entry(over: Partial<Entry> = {}): Entry {
  const wire = reply(0x8000 | 0x0100 | 0x0080)
  return {
    req: request('example.org', 'A', { id: 29008, udpSize: 4096 }),
    remote: v6client,
    local,
    wire,
    size: wire.length,
    writer: 'forward',
    ns: 379_000,
    ...over,
  }
}

test('the default line is CoreDNS common log format, byte for byte', () => {
  const e = entry()
  assert.equal(
    render(compileFormat(COMMON_FORMAT), e),
    `[::1]:50759 - 29008 "A IN example.org. udp 40 false 4096" NOERROR qr,rd,ra ${e.size} 0.000379s`,
  )
  assert.equal(e.size, 56)
})

test('combined adds the opcode; IPv4 clients have no brackets; TCP buffer size is 65535', () => {
  const e = entry({
    req: request('Example.ORG', 'AAAA', { id: 7, proto: 'tcp' }),
    remote: { address: '10.240.0.1', port: 40212, family: 4 },
  })
  assert.equal(
    render(compileFormat(COMBINED_FORMAT), e),
    `10.240.0.1:40212 - 7 "AAAA IN example.org. tcp 29 false 65535" NOERROR qr,rd,ra 56 0.000379s "0"`,
  )
})

test("types dns-packet cannot name print as CoreDNS prints them: HTTPS, SVCB, TYPEnnn", () => {
  const line = (type: string) =>
    render(compileFormat('{type} {class}'), entry({ req: request('example.org', type) }))
  assert.equal(line('UNKNOWN_65'), 'HTTPS IN')
  assert.equal(line('UNKNOWN_64'), 'SVCB IN')
  assert.equal(line('UNKNOWN_65280'), 'TYPE65280 IN')
})

test('nothing written: rcode and flags are "-", size 0, duration still measured', () => {
  const e = entry({ wire: undefined, size: 0, writer: '', ns: 6_010_923_182 })
  assert.match(render(compileFormat(COMMON_FORMAT), e), / - - 0 6\.010923182s$/)
})

test('every placeholder', () => {
  const e = entry({ req: request('a.example.org', 'MX', { id: 42, do: true, udpSize: 1232 }) })
  const f =
    '{type}|{name}|{class}|{proto}|{size}|{remote}|{port}|{local}|{>id}|{>opcode}|{>do}|{>bufsize}|{rcode}|{rsize}|{>rflags}'
  assert.equal(
    render(compileFormat(f), e),
    `MX|a.example.org.|IN|udp|42|[::1]|50759|127.0.0.1|42|0|true|1232|NOERROR|56|qr,rd,ra`,
  )
})

test('metadata: {/log/type}, {/log/class}, {/log/plugin}; unknown labels are "-"', () => {
  const f = compileFormat('{/log/type} {/log/class} {/log/plugin} {/kubernetes/client-namespace}')
  assert.equal(render(f, entry()), 'NOERROR success forward -')
  assert.equal(render(f, entry({ wire: undefined, size: 0, writer: '' })), 'OTHERERROR error - -')
})

test("metadata: other labels are what plugins published (metadata plugin); '' stays empty", () => {
  const req = request('example.org') as WireRequest
  req.metadata = new Metadata(true, {})
  publish(req, 'forward/upstream', '127.0.0.1:53')
  publish(req, 'view/name', () => 'internal')
  publish(req, 'test/empty', '')
  const f = compileFormat('{/forward/upstream} {/view/name} {/test/empty}|{/nope/x}')
  assert.equal(render(f, entry({ req })), '127.0.0.1:53 internal |-')
  assert.equal(render(f, entry()), '- - -|-')
})

test('every flag, in miekg order', () => {
  const wire = reply(0xffff & ~0x7800 & ~0xf)
  assert.equal(render(compileFormat('{>rflags}'), entry({ wire })), 'qr,aa,tc,rd,ra,z,ad,cd')
  assert.equal(render(compileFormat('{>rflags}'), entry({ wire: new Uint8Array(12) })), '')
})

test('the extended rcode from the OPT record is part of {rcode}', () => {
  const wire = dnsPacket.encode({
    type: 'response',
    flags: 0x8000 | 0, // BADVERS = 16: low bits 0, OPT extended rcode 1
    questions: [{ name: 'example.org', type: 'A', class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 1 } as never],
  })
  assert.equal(render(compileFormat('{rcode}'), entry({ wire })), 'BADVERS')
})

test('format parsing quirks match CoreDNS parseFormat', () => {
  const e = entry()
  const cases: [string, string][] = [
    ['{type}', 'A'],
    ['A } {type}', 'A } A'],
    ['{ {type} }', '{ A }'],
    ['{X} {type}', '{X} A'],
    ['{common}', '{common}'],
    ['{type', '{type'],
    ['}{name}{', '}example.org.{'],
    ['{>ID}', '{>ID}'],
    ['', ''],
  ]
  for (const [format, want] of cases) assert.equal(render(compileFormat(format), e), want, format)
})

test('durations print as Go prints float64 seconds', () => {
  assert.equal(goSeconds(0), '0s')
  assert.equal(goSeconds(1), '0.000000001s')
  assert.equal(goSeconds(100), '0.0000001s')
  assert.equal(goSeconds(379_000), '0.000379s')
  assert.equal(goSeconds(37_990_251), '0.037990251s')
  assert.equal(goSeconds(1_500_000_000), '1.5s')
  assert.equal(goSeconds(6_010_923_182), '6.010923182s')
  assert.equal(goFloat(1e21), '1000000000000000000000')
  assert.equal(goFloat(1.5e-7), '0.00000015')
})
