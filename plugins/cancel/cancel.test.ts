import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { Handler, Request } from '../../src/plugin/plugin.ts'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import { cancelHandler } from './cancel.ts'
import { parseCancel } from './setup.ts'

function parse(body: string): number {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parseCancel(blocks[0]!.directives.filter((d) => d.name.text === 'cancel'))
}

/** A next plugin that keeps the request it was given and answers `rcode` (a promise too). */
function seeing(rcode: number | Promise<number>): Handler & { seen?: Request } {
  const h: Handler & { seen?: Request } = {
    name: 'test',
    serveDNS(_ctx, _w, r) {
      h.seen = r
      return rcode
    },
  }
  return h
}

test('the request gets a deadline TIMEOUT from now; the next result comes back as it is', async () => {
  const next = seeing(Promise.resolve(3))
  const r = request('example.org')
  assert.equal(r.deadline, Infinity)
  const before = Date.now()
  const rc = await cancelHandler(1500, next).serveDNS(testContext, new Recorder(), r)
  assert.equal(rc, 3)
  assert.equal(next.seen, r)
  assert.ok(r.deadline >= before + 1500 && r.deadline <= Date.now() + 1500)
})

test('an earlier deadline stays (a context cancelled sooner stays cancelled)', () => {
  const r = request('example.org')
  cancelHandler(100, seeing(0)).serveDNS(testContext, new Recorder(), r)
  const first = r.deadline
  cancelHandler(60_000, seeing(0)).serveDNS(testContext, new Recorder(), r)
  assert.equal(r.deadline, first)
})

test('setup: 5001 ms by default; a Go duration; the last stanza wins', () => {
  assert.equal(parse('cancel'), 5001)
  assert.equal(parse('cancel 1s'), 1000)
  assert.equal(parse('cancel 250ms'), 250)
  assert.equal(parse('cancel 1s\ncancel 2m'), 120_000)
  // CoreDNS reads a block's lines and its closing brace as more stanzas: the default wins
  assert.equal(parse('cancel 1s {\n}'), 5001)
  assert.equal(parse('cancel 1s {\n  x 2s\n}'), 5001)
})

test('setup errors, located', () => {
  const fails = (body: string, code: string, line: number, col: number, detail: RegExp) =>
    assert.throws(() => parse(body), (e: CorefileError) =>
      e.code === code && e.line === line && e.col === col && detail.test(e.message))
  fails('cancel foo', 'COREFILE_VALUE', 2, 8, /invalid duration 'foo'/)
  fails('cancel 10', 'COREFILE_VALUE', 2, 8, /invalid duration '10': missing unit/)
  fails('cancel 0s', 'COREFILE_VALUE', 2, 8, /invalid negative duration: "0s"/)
  fails('cancel -1s', 'COREFILE_VALUE', 2, 8, /invalid negative duration: "-1s"/)
  fails('cancel 1s 2s', 'COREFILE_ARGS', 2, 11, /expecting 0 to 1, got 2/)
  fails('cancel {\n  x 1s 2s\n}', 'COREFILE_ARGS', 3, 8, /expecting 0 to 1, got 2/)
  fails('cancel {\n  x y\n}', 'COREFILE_VALUE', 3, 5, /invalid duration 'y'/)
})
