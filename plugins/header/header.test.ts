import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { Handler, Request } from '../../src/plugin/plugin.ts'
import { rcodeReply } from '../../src/wire/reply.ts'
import type { WireRequest } from '../../src/wire/request.ts'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import { headerHandler } from './header.ts'
import { parseHeader, type HeaderConfig } from './setup.ts'

function parse(body: string): HeaderConfig {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parseHeader(blocks[0]!.directives.filter((d) => d.name.text === 'header'))
}

/** A next plugin that records the request's flags and answers with a reply built from it. */
function replying(flagsOfReply = 0): Handler & { seen?: Request } {
  const h: Handler & { seen?: Request } = {
    name: 'test',
    serveDNS(_ctx, w, r) {
      h.seen = r
      const reply = rcodeReply(r, 0)
      reply[2]! |= flagsOfReply >> 8
      reply[3]! |= flagsOfReply & 0xff
      w.write(reply, 'test')
      return 0
    },
  }
  return h
}

function run(body: string, next: Handler, rd = true) {
  const cfg = parse(body)
  const r = request('example.org')
  if (!rd) (r as WireRequest).setFlags(r.flags & ~0x0100)
  const w = new Recorder()
  const rc = headerHandler(cfg.query, cfg.response, next).serveDNS(testContext, w, r)
  return { rc, r, m: w.msg, rcode: w.wire![3]! & 0xf }
}

test('response rules set and clear AA, RA, RD in what the plugins below write', () => {
  const { m } = run('header {\n response set ra aa\n response clear rd\n}', replying())
  assert.deepEqual([m.flag_aa, m.flag_ra, m.flag_rd], [true, true, false])
  const cleared = run('header {\n response clear aa ra\n}', replying(0x0480)).m
  assert.deepEqual([cleared.flag_aa, cleared.flag_ra, cleared.flag_rd], [false, false, true])
})

test('the last rule on a flag wins, in the order written', () => {
  const { m } = run('header {\n response set ra\n response clear ra\n response clear aa\n response set aa\n}', replying())
  assert.deepEqual([m.flag_ra, m.flag_aa], [false, true])
})

test('query rules change the request itself (bytes too): the next plugin and the reply see them', () => {
  const next = replying()
  const { r, m } = run('header {\n query clear rd\n query set aa\n}', next)
  assert.equal(next.seen, r)
  assert.equal(r.flags & 0x0500, 0x0400)
  assert.equal(r.wire[2]! & 0x05, 0x04)
  assert.equal(r.msg.flags! & 0x0100, 0)
  // the reply is built from the request: RD copied (cleared), AA not (SetReply)
  assert.deepEqual([m.flag_rd, m.flag_aa], [false, false])
  const set = run('header {\n query set rd\n}', replying(), false)
  assert.equal(set.m.flag_rd, true)
})

test('query and response rules together; other flags and the rcode untouched', () => {
  const { m, rcode } = run('header {\n query set rd\n response clear rd\n response set aa\n}', replying(0x0010 | 0x0020 | 3), false)
  assert.deepEqual([m.flag_rd, m.flag_aa, m.flag_cd, m.flag_ad, rcode], [false, true, true, true, 3])
})

test('nothing written below: the rcode goes up, the server writes it without the response rules', () => {
  const cfg = parse('header {\n response set aa\n}')
  const w = new Recorder()
  const rc = headerHandler(cfg.query, cfg.response, { name: 'x', serveDNS: () => 2 }).serveDNS(testContext, w, request('a.'))
  assert.deepEqual([rc, w.writes], [2, 0])
})

test('setup: the first stanza with rules; selector, action and flags in any case', () => {
  assert.deepEqual(parse('header {\n RESPONSE Set RA\n}'), { query: { set: 0, clear: 0 }, response: { set: 0x80, clear: 0 } })
  assert.deepEqual(parse('header {\n}\nheader {\n query clear rd\n}').query, { set: 0, clear: 0x100 })
  // CoreDNS ignores words after `header`
  assert.deepEqual(parse('header foo {\n query set aa\n}').query, { set: 0x400, clear: 0 })
})

test('setup errors are located and worded as CoreDNS words them', () => {
  const fails = (body: string, code: string, line: number, col: number, detail: string) =>
    assert.throws(() => parse(body), (e: CorefileError) => {
      assert.equal(e.message, `Corefile:${line}:${col} - plugin/header: ${detail}`)
      return e.code === code
    })
  fails('header', 'COREFILE_ARGS', 2, 1, "no rules after 'header', expecting a block of 'query|response set|clear FLAGS...' lines")
  fails('header {\n}', 'COREFILE_ARGS', 2, 1, "no rules after 'header', expecting a block of 'query|response set|clear FLAGS...' lines")
  fails('header {\n bogus set ra\n}', 'COREFILE_VALUE', 3, 2, 'setting up rule: invalid selector=bogus should be query or response')
  fails('header {\n QUERY\n}', 'COREFILE_ARGS', 3, 2, 'setting up rule: no flag action provided')
  fails('header {\n response Toggle ra\n}', 'COREFILE_VALUE', 3, 11, 'setting up rule: unknown flag action=toggle, should be set or clear')
  fails('header {\n response set\n}', 'COREFILE_ARGS', 3, 11, 'setting up rule: invalid length for flags, at least one should be provided')
  fails('header {\n response set ra XX\n}', 'COREFILE_VALUE', 3, 18, 'setting up rule: unknown/unsupported flag=xx')
  assert.throws(() => parse('header {\n response set ra {\n }\n}'), (e: CorefileError) => e.code === 'COREFILE_SYNTAX' && e.line === 3)
})
