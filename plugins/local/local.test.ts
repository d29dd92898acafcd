import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { logger } from '../../src/plugin/log.ts'
import { nextHandler, Recorder, request, testContext } from '../../test/dnstest.ts'
import { localHandler } from './local.ts'
import { localhostCount } from './metrics.ts'
import { parseLocal } from './setup.ts'

const SOA = { mname: 'localhost', rname: 'root.localhost', serial: 1, refresh: 0, retry: 0, expire: 0, minimum: 604800 }

function ask(name: string, type = 'A', localhostPrefix = true) {
  const w = new Recorder()
  const rcode = localHandler({ localhostPrefix }, logger('local'), nextHandler(99)).serveDNS(
    testContext,
    w,
    request(name, type, { id: 7 }),
  )
  if (w.writes === 0) return { rcode, written: false as const }
  const m = w.msg
  const rr = (s: typeof m.answers) => s!.map((a) => [a.name, a.type, (a as { ttl: number }).ttl, (a as { data: unknown }).data])
  return { rcode, written: true as const, by: w.by, m, answer: rr(m.answers), ns: rr(m.authorities), wrcode: m.flags! & 0xf }
}

test('localhost: loopback A and AAAA, SOA and NS at the apex, NODATA with the SOA otherwise', () => {
  assert.deepEqual(ask('LocalHost', 'A').answer, [['LocalHost', 'A', 604800, '127.0.0.1']])
  assert.deepEqual(ask('localhost', 'AAAA').answer, [['localhost', 'AAAA', 604800, '::1']])
  assert.deepEqual(ask('localhost', 'SOA').answer, [['localhost', 'SOA', 604800, SOA]])
  assert.deepEqual(ask('localhost', 'NS').answer, [['localhost', 'NS', 604800, 'localhost']])
  const mx = ask('localhost', 'MX')
  assert.deepEqual([mx.wrcode, mx.answer, mx.ns], [0, [], [['localhost', 'SOA', 604800, SOA]]])
})

test('a reply is SetReply: no AA, RD copied, the question as sent, written by local', () => {
  const r = ask('localhost', 'A')
  assert.equal(r.rcode, 0)
  assert.equal(r.by, 'local')
  assert.deepEqual([r.m!.id, r.m!.flag_qr, r.m!.flag_aa, r.m!.flag_rd, r.m!.flag_ra], [7, true, false, true, false])
  assert.deepEqual(r.m!.questions, [{ name: 'localhost', type: 'A', class: 'IN' }])
})

test('names under .localhost. and localhost.<domain> get loopback addresses and are counted', () => {
  const before = localhostCount.value
  assert.deepEqual(ask('foo.LOCALHOST', 'A').answer, [['foo.LOCALHOST', 'A', 604800, '127.0.0.1']])
  assert.deepEqual(ask('localhost.example.org', 'AAAA').answer, [['localhost.example.org', 'AAAA', 604800, '::1']])
  // NODATA's SOA is owned by the query name itself, as CoreDNS writes it
  const txt = ask('a.b.localhost', 'TXT')
  assert.deepEqual([txt.wrcode, txt.answer, txt.ns], [0, [], [['a.b.localhost', 'SOA', 604800, SOA]]])
  assert.equal(localhostCount.value, before + 3)
})

test('localhost_prefix off: localhost.<domain> goes on, .localhost. names are still answered', () => {
  const before = localhostCount.value
  assert.deepEqual(ask('localhost.example.org', 'A', false), { rcode: 99, written: false })
  assert.equal(ask('x.localhost', 'A', false).answer!.length, 1)
  assert.equal(localhostCount.value, before + 1)
})

test('reverse zones: 1.0.0.127 has its PTR, apexes exist, everything else is NXDOMAIN', () => {
  assert.deepEqual(ask('1.0.0.127.in-addr.arpa', 'PTR').answer, [['1.0.0.127.in-addr.arpa', 'PTR', 604800, 'localhost']])
  const a = ask('1.0.0.127.In-Addr.Arpa', 'A')
  assert.deepEqual([a.wrcode, a.ns], [0, [['127.In-Addr.Arpa', 'SOA', 604800, SOA]]])
  const nx = ask('2.0.0.127.IN-addr.arpa', 'PTR')
  assert.deepEqual([nx.rcode, nx.wrcode, nx.ns], [0, 3, [['127.IN-addr.arpa', 'SOA', 604800, SOA]]])
  assert.deepEqual(ask('0.in-addr.arpa', 'NS').answer, [['0.in-addr.arpa', 'NS', 604800, 'localhost']])
  const apexA = ask('255.in-addr.arpa', 'A')
  assert.deepEqual([apexA.wrcode, apexA.answer, apexA.ns], [0, [], [['255.in-addr.arpa', 'SOA', 604800, SOA]]])
  assert.equal(ask('255.255.255.255.in-addr.arpa', 'PTR').wrcode, 3)
})

test('other names pass on, ip6.arpa too (CoreDNS does not intercept it)', () => {
  for (const name of ['example.org', 'xlocalhost', 'in-addr.arpa', '1.0.0.10.in-addr.arpa',
    '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa']) {
    assert.deepEqual(ask(name, 'PTR'), { rcode: 99, written: false }, name)
  }
})

test('setup: no arguments; localhost_prefix on|off; errors located', () => {
  const parse = (body: string) => {
    const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
    return parseLocal(blocks[0]!.directives.filter((d) => d.name.text === 'local'))
  }
  assert.deepEqual(parse('local'), { localhostPrefix: true })
  assert.deepEqual(parse('local {\nlocalhost_prefix off\n}'), { localhostPrefix: false })
  assert.deepEqual(parse('local {\nlocalhost_prefix off\n}\nlocal {\nlocalhost_prefix on\n}'), { localhostPrefix: true })
  const fails = (body: string, code: string, line: number, col: number, detail: RegExp) =>
    assert.throws(() => parse(body), (e: CorefileError) =>
      e.code === code && e.line === line && e.col === col && detail.test(e.message))
  fails('local foo', 'COREFILE_ARGS', 2, 7, /expecting 0, got 1/)
  fails('local {\n  localhost_prefix maybe\n}', 'COREFILE_VALUE', 3, 20, /expects 'on' or 'off', got "maybe"/)
  fails('local {\n  localhost_prefix\n}', 'COREFILE_ARGS', 3, 3, /expecting 1, got 0/)
  fails('local {\n  bogus\n}', 'COREFILE_UNKNOWN', 3, 3, /unknown property 'bogus'/)
})
