import assert from 'node:assert/strict'
import { after, beforeEach, test } from 'node:test'
import dnsPacket from 'dns-packet'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import type { Addr, Handler } from '../../src/plugin/plugin.ts'
import { Rcode, rcodeName } from '../../src/plugin/rcode.ts'
import { scrub } from '../../src/wire/scrub.ts'
import { nextHandler, Recorder, request, testContext, type QueryOpts } from '../../test/dnstest.ts'
import { AclHandler, EDE_BLOCKED, EDE_FILTERED } from './acl.ts'
import { allowed, blocked, dropped, filtered } from './metrics.ts'
import { parseAcl } from './setup.ts'

let lines: string[] = []
setLogSink((l) => lines.push(l))
after(() => setLogSink((l) => process.stdout.write(l + '\n')))
beforeEach(() => {
  lines = []
})

const NEXT = 7 // a next plugin's rcode nobody else returns: "passed on"
let servers = 0

function acl(body: string, blockZones = ['.'], next: Handler = nextHandler(NEXT)) {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  const rules = parseAcl(
    blocks[0]!.directives.filter((d) => d.name.text === 'acl'),
    { zones: blockZones },
  )
  const server = `dns://127.0.0.${++servers}:53`
  return { h: new AclHandler(rules, next, { server, zones: blockZones }), server }
}

function from(address: string): Addr {
  return { address, port: 5353, family: address.includes(':') ? 6 : 4 }
}

interface Outcome {
  readonly rc: number
  readonly w: Recorder
}

function ask(
  h: AclHandler,
  source: string,
  name = 'example.org',
  type = 'A',
  opts: QueryOpts = {},
): Outcome {
  const w = new Recorder(from(source))
  const rc = h.serveDNS(testContext, w, request(name, type, opts)) as number
  return { rc, w }
}

/** 'next', 'drop', or the written rcode and EDE info code. */
function verdict({ rc, w }: Outcome): string {
  if (rc === NEXT) return 'next'
  if (w.wire === undefined) return 'drop'
  const m = w.msg
  const opt = m.additionals?.find((a) => a.type === 'OPT') as
    { options?: { code: number; data: Buffer }[] } | undefined
  const ede = opt?.options?.find((o) => o.code === 15)?.data.readUInt16BE(0)
  return `${rcodeName(w.wire[3]! & 0xf)} ${ede}`
}

test('rules in order: allow a subnet, block the rest of its supernet, allow the rest', () => {
  const { h } = acl('acl {\n allow net 192.168.1.0/24\n block net 192.168.0.0/16\n}')
  assert.equal(verdict(ask(h, '192.168.1.7')), 'next')
  assert.equal(verdict(ask(h, '192.168.2.7')), `REFUSED ${EDE_BLOCKED}`)
  assert.equal(verdict(ask(h, '10.0.0.1')), 'next')
})

test('allow a list, then block everyone else', () => {
  const { h } = acl('acl {\n allow net 192.168.0.0/24 192.168.1.0/24\n block\n}')
  assert.equal(verdict(ask(h, '192.168.1.200')), 'next')
  assert.equal(verdict(ask(h, '192.168.2.1')), `REFUSED ${EDE_BLOCKED}`)
  assert.equal(verdict(ask(h, '::1')), `REFUSED ${EDE_BLOCKED}`)
})

test('query types: block only A, filter AAAA, drop ANY; type * matches all', () => {
  const { h } = acl('acl {\n block type A net 10.0.0.0/8\n filter type AAAA\n drop type ANY\n}')
  assert.equal(verdict(ask(h, '10.1.2.3', 'example.org', 'A')), `REFUSED ${EDE_BLOCKED}`)
  assert.equal(verdict(ask(h, '10.1.2.3', 'example.org', 'MX')), 'next')
  assert.equal(verdict(ask(h, '172.16.0.1', 'example.org', 'A')), 'next')
  assert.equal(verdict(ask(h, '172.16.0.1', 'example.org', 'AAAA')), `NOERROR ${EDE_FILTERED}`)
  const dropping = ask(h, '172.16.0.1', 'example.org', 'ANY')
  assert.equal(dropping.rc, Rcode.NoError)
  assert.equal(verdict(dropping), 'drop')
  const { h: all } = acl('acl {\n block type MX * net 10.0.0.1\n}')
  assert.equal(verdict(ask(all, '10.0.0.1', 'example.org', 'TXT')), `REFUSED ${EDE_BLOCKED}`)
  assert.equal(verdict(ask(all, '10.0.0.2', 'example.org', 'TXT')), 'next')
})

test('filter answers NOERROR with an empty answer; block has no RA and the question echoed', () => {
  const { h } = acl('acl {\n filter net 127.0.0.0/8\n}')
  const m = ask(h, '127.0.0.1', 'Example.ORG').w.msg
  assert.equal(m.answers?.length, 0)
  assert.equal(m.questions?.[0]?.name, 'Example.ORG')
  assert.equal(m.flag_ra, false)
  assert.equal(m.flag_rd, true)
})

test('zones: a rule applies to its zones and below; the default is the block zones', () => {
  const { h } = acl('acl a.example.org {\n block net 192.168.1.0/24\n}', ['example.org.'])
  assert.equal(verdict(ask(h, '192.168.1.1', 'x.a.example.org')), `REFUSED ${EDE_BLOCKED}`)
  assert.equal(verdict(ask(h, '192.168.1.1', 'b.example.org')), 'next')
  const { h: dflt } = acl('acl {\n block\n}', ['example.org.'])
  assert.equal(verdict(ask(dflt, '192.168.1.1', 'www.example.org')), `REFUSED ${EDE_BLOCKED}`)
  assert.equal(verdict(ask(dflt, '192.168.1.1', 'example.net')), 'next')
})

test('a rule with no matching policy hands over to the next rule; allow stops all rules', () => {
  const { h } = acl(
    'acl {\n block net 10.0.0.0/8\n}\nacl {\n filter net 192.168.0.0/16\n}\nacl {\n allow net 172.16.0.0/12\n}\nacl {\n block\n}',
  )
  assert.equal(verdict(ask(h, '10.9.9.9')), `REFUSED ${EDE_BLOCKED}`)
  assert.equal(verdict(ask(h, '192.168.9.9')), `NOERROR ${EDE_FILTERED}`)
  assert.equal(verdict(ask(h, '172.20.0.1')), 'next')
  assert.equal(verdict(ask(h, '8.8.8.8')), `REFUSED ${EDE_BLOCKED}`)
})

test('IPv6 sources, IPv4-mapped sources, scoped addresses; an unparsable source is blocked', () => {
  const { h } = acl('acl {\n allow net fd00::/8 10.0.0.0/8 fe80::1\n block\n}')
  assert.equal(verdict(ask(h, 'fd12:3456::1')), 'next')
  assert.equal(verdict(ask(h, 'fe00::1')), `REFUSED ${EDE_BLOCKED}`)
  assert.equal(verdict(ask(h, '::ffff:10.1.1.1')), 'next')
  assert.equal(verdict(ask(h, 'fe80::1%eth0')), 'next')
  assert.equal(verdict(ask(h, 'fe80::2%eth0')), `REFUSED ${EDE_BLOCKED}`)
  const { h: open } = acl('acl {\n allow\n}')
  assert.equal(verdict(ask(open, 'not-an-ip')), `REFUSED ${EDE_BLOCKED}`)
  assert.deepEqual(lines, [
    '[ERROR] plugin/acl: Blocking request. Unable to parse source address: not-an-ip',
  ])
})

test('metrics: blocked, filtered and dropped per zone, allowed per server', () => {
  const { h, server } = acl(
    'acl example.org {\n block net 10.0.0.1\n filter net 10.0.0.2\n drop net 10.0.0.3\n}',
  )
  for (const src of ['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'])
    ask(h, src, 'a.example.org')
  ask(h, '10.0.0.1', 'example.net')
  const labels = { server, zone: 'example.org.', view: '' }
  assert.equal(blocked.child(labels).value, 2)
  assert.equal(filtered.child(labels).value, 1)
  assert.equal(dropped.child(labels).value, 1)
  assert.equal(allowed.child({ server, view: '' }).value, 2)
})

// SizeAndDo keeps the flags of a reply's own OPT and only ever adds DO: acl's SetEdns0(4096, true)
// leaves DO set whatever the client sent
test("after the scrub: the EDE stays; the size mirrors the client's, else 4096; DO stays", () => {
  const { h } = acl('acl {\n block\n}')
  for (const [opts, size, dnssecOk] of [
    [{ udpSize: 1232 }, 1232, true],
    [{ udpSize: 4096, do: true }, 4096, true],
    [{}, 4096, true],
  ] as const) {
    const w = new Recorder(from('10.0.0.1'))
    const req = request('example.org', 'A', opts)
    h.serveDNS(testContext, w, req)
    const m = dnsPacket.decode(Buffer.from(scrub(w.wire!, req)))
    const opt = m.additionals?.find((a) => a.type === 'OPT') as dnsPacket.OptAnswer | undefined
    assert.equal(opt?.udpPayloadSize, size)
    assert.equal(((opt?.flags ?? 0) & dnsPacket.DNSSEC_OK) !== 0, dnssecOk)
    assert.deepEqual(
      opt?.options?.map((o) => [o.code, o.data?.readUInt16BE(0)]),
      [[15, EDE_BLOCKED]],
    )
    assert.equal(m.flags! & 0xf, Rcode.Refused)
  }
})

test('parse errors point at the token', () => {
  const cases: [string, number, number, RegExp][] = [
    [
      'acl {\n deny net 10.0.0.0/8\n}',
      3,
      2,
      /unexpected token "deny"; expect 'allow', 'block', 'filter' or 'drop'/,
    ],
    ['acl {\n block 10.0.0.0/8\n}', 3, 8, /unexpected token "10.0.0.0\/8"; expect 'type \| net'/],
    ['acl {\n block type\n}', 3, 8, /no token specified in "type" section/],
    ['acl {\n block net 10.0.0.0/8 type\n}', 3, 23, /no token specified in "type" section/],
    ['acl {\n block type BOGUS\n}', 3, 13, /unexpected token "BOGUS"; expect legal QTYPE/],
    ['acl {\n block net 10.0.0.0/33\n}', 3, 12, /illegal CIDR notation "10.0.0.0\/33"/],
    ['acl {\n block net 10.0.0.256\n}', 3, 12, /illegal CIDR notation/],
    ['acl example..org {\n block\n}', 2, 5, /not a valid domain name/],
  ]
  for (const [text, line, col, msg] of cases) {
    assert.throws(
      () => acl(text),
      (err: CorefileError) => err.line === line && err.col === col && msg.test(err.message),
      text,
    )
  }
})

test('parse: sections in any order and case, repeated sections add up', () => {
  const { h } = acl('acl {\n BLOCK NET 10.0.0.1 TYPE a aaaa type MX net 10.0.0.2\n}')
  assert.equal(verdict(ask(h, '10.0.0.2', 'example.org', 'MX')), `REFUSED ${EDE_BLOCKED}`)
  assert.equal(verdict(ask(h, '10.0.0.1', 'example.org', 'AAAA')), `REFUSED ${EDE_BLOCKED}`)
  assert.equal(verdict(ask(h, '10.0.0.1', 'example.org', 'TXT')), 'next')
})
