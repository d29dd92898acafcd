import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { nextHandler, Recorder, request, testContext } from '../../test/dnstest.ts'
import { anyHandler } from './any.ts'
import setup from './setup.ts'

test('ANY gets the RFC 8482 HINFO for the name as sent, TTL 8482, no AA', () => {
  const w = new Recorder()
  assert.equal(
    anyHandler(nextHandler(2)).serveDNS(
      testContext,
      w,
      request('Example.ORG', 'ANY', { id: 99, cd: true }),
    ),
    0,
  )
  const m = w.msg
  assert.equal(w.by, 'any')
  assert.equal(m.id, 99)
  assert.equal(w.wire![3]! & 0xf, 0)
  assert.deepEqual(
    [m.flag_qr, m.flag_aa, m.flag_rd, m.flag_ra, m.flag_cd],
    [true, false, true, false, true],
  )
  assert.deepEqual(m.questions, [{ name: 'Example.ORG', type: 'ANY', class: 'IN' }])
  assert.deepEqual(
    m.answers?.map((a) => [
      a.name,
      a.type,
      (a as { class: string }).class,
      (a as { ttl: number }).ttl,
      (a as { data: unknown }).data,
    ]),
    [['Example.ORG', 'HINFO', 'IN', 8482, { cpu: 'ANY obsoleted', os: 'See RFC 8482' }]],
  )
  assert.equal(w.wire!.length, 12 + 17 + 13 + 10 + 27)
})

test('other types pass through; so does ANY at the root, answered for "."', () => {
  const w = new Recorder()
  assert.equal(anyHandler(nextHandler(5)).serveDNS(testContext, w, request('example.org', 'A')), 5)
  assert.equal(w.writes, 0)
  const root = new Recorder()
  anyHandler(undefined).serveDNS(testContext, root, request('.', 'ANY'))
  assert.equal(root.msg.answers?.[0]?.name, '.')
})

test('no arguments, no block', () => {
  const parse = (body: string) => {
    const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
    return setup.parse(
      blocks[0]!.directives.filter((d) => d.name.text === 'any'),
      undefined as never,
    )
  }
  assert.equal(parse('any'), null)
  assert.throws(
    () => parse('any example.org'),
    (e: CorefileError) => e.code === 'COREFILE_ARGS' && e.line === 2,
  )
  assert.throws(
    () => parse('any {\n}'),
    (e: CorefileError) => e.code === 'COREFILE_SYNTAX' && e.line === 2,
  )
})
