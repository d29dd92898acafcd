import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { PluginError, type Handler } from '../../src/plugin/plugin.ts'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import { minimalHandler } from './minimal.ts'
import setup from './setup.ts'

const SOA = {
  name: 'example.org', type: 'SOA', ttl: 300,
  data: { mname: 'ns1.example.org', rname: 'admin.example.org', serial: 1, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 },
} as const
const NS = { name: 'example.org', type: 'NS', ttl: 3600, data: 'ns1.example.org' } as const
const GLUE = { name: 'ns1.example.org', type: 'A', ttl: 3600, data: '192.0.2.53' } as const
const OPT = { name: '.', type: 'OPT', udpPayloadSize: 1232, flags: 0 } as const

/** A reply as an upstream would send it: AA, RD, RA, the given rcode and sections. */
function reply(sections: { answers?: unknown[]; authorities?: unknown[]; additionals?: unknown[] }, rcode = 0, opcode = 0): Uint8Array {
  return dnsPacket.encode({
    id: 1234,
    type: 'response',
    flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode | (opcode << 11),
    questions: [{ name: 'www.example.org', type: 'A', class: 'IN' }],
    answers: (sections.answers ?? []) as never,
    authorities: (sections.authorities ?? []) as never,
    additionals: (sections.additionals ?? []) as never,
  })
}

/** A next plugin that writes `wire` as "forward" and returns `rcode`, now or later. */
function writes(wire: Uint8Array, rcode = 0, async = false): Handler {
  return {
    name: 'forward',
    serveDNS(_ctx, w) {
      w.write(wire, 'forward')
      return async ? Promise.resolve(rcode) : rcode
    },
  }
}

async function run(next: Handler) {
  const w = new Recorder()
  const rcode = await minimalHandler(next).serveDNS(testContext, w, request('www.example.org'))
  return { rcode, w }
}

test('a positive answer keeps its header, question and answers only', async () => {
  const A = { name: 'www.example.org', type: 'A', ttl: 300, data: '192.0.2.80' }
  for (const async of [false, true]) {
    const { rcode, w } = await run(writes(reply({ answers: [A], authorities: [NS], additionals: [GLUE, OPT] }), 0, async))
    assert.equal(rcode, 0)
    assert.equal(w.writes, 1)
    assert.equal(w.by, 'forward')
    const m = w.msg
    assert.deepEqual([m.flag_aa, m.flag_rd, m.flag_ra], [true, true, true])
    assert.deepEqual(m.answers!.map((r) => [r.name, r.type, (r as { data: unknown }).data]), [['www.example.org', 'A', '192.0.2.80']])
    assert.deepEqual([m.authorities, m.additionals], [[], []])
  }
})

test('NOERROR without answers or SOA or NS is also stripped (CoreDNS types it NOERROR)', async () => {
  const { w } = await run(writes(reply({ additionals: [GLUE] })))
  assert.deepEqual([w.msg.answers, w.msg.additionals], [[], []])
})

test('denials, delegations and errors pass unchanged, and count as written', async () => {
  const cases = [
    ['NXDOMAIN', reply({ authorities: [SOA], additionals: [OPT] }, 3)],
    ['NODATA', reply({ authorities: [SOA] })],
    ['delegation', reply({ authorities: [NS], additionals: [GLUE] })],
    ['SERVFAIL', reply({ additionals: [GLUE] }, 2)],
    ['REFUSED', reply({ authorities: [NS] }, 5)],
  ] as const
  for (const [what, wire] of cases) {
    const { rcode, w } = await run(writes(wire, wire[3]! & 0xf))
    assert.equal(rcode, 0, what)
    assert.equal(w.wire, wire, what)
  }
})

test('nothing written below: the rcode goes up for the server to answer', async () => {
  const { rcode, w } = await run({ name: 'forward', serveDNS: () => 2 })
  assert.deepEqual([rcode, w.writes], [2, 0])
})

test('an error below drops what was written, as CoreDNS drops its nonwriter message', async () => {
  const failing: Handler = {
    name: 'forward',
    serveDNS(_ctx, w) {
      w.write(reply({ answers: [] }), 'forward')
      return Promise.reject(new PluginError('forward', 'boom'))
    },
  }
  const w = new Recorder()
  await assert.rejects(async () => minimalHandler(failing).serveDNS(testContext, w, request('www.example.org')), /boom/)
  assert.equal(w.writes, 0)
})

test('a NOTIFY reply (META) passes unchanged, as CoreDNS classifies META as an error', async () => {
  const wire = reply({ answers: [{ name: 'www.example.org', type: 'A', ttl: 300, data: '192.0.2.80' }], authorities: [NS] }, 0, 4)
  const { rcode, w } = await run(writes(wire))
  assert.deepEqual([rcode, w.wire], [0, wire])
})

test('setup: no arguments, no block; later stanzas are not read (as CoreDNS)', () => {
  const parse = (body: string) => {
    const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
    return setup.parse(blocks[0]!.directives.filter((d) => d.name.text === 'minimal'), undefined as never)
  }
  assert.equal(parse('minimal'), null)
  assert.equal(parse('minimal\nminimal foo'), null)
  assert.throws(() => parse('minimal foo'), (e: CorefileError) => e.code === 'COREFILE_ARGS' && e.line === 2 && e.col === 9)
  assert.throws(() => parse('minimal {\n}'), (e: CorefileError) => e.code === 'COREFILE_SYNTAX' && e.line === 2)
})
