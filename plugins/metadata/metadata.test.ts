import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { collect, metadataValue, parseMetadata, provide, publish } from '../../src/plugin/metadata.ts'
import type { Handler, Request } from '../../src/plugin/plugin.ts'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import { metadataHandler } from './metadata.ts'

/** A next plugin that publishes and provides a label, as forward and view do. */
const publishing: Handler = {
  name: 'test',
  serveDNS(_ctx, _w, r) {
    publish(r, 'forward/upstream', '127.0.0.1:53')
    provide(r, 'view/name', () => 'internal')
    return 0
  },
}

function serve(zones: readonly string[], name: string): Request {
  const r = request(name)
  metadataHandler(zones, {}, publishing).serveDNS(testContext, new Recorder(), r)
  return r
}

test('without the metadata plugin, publishing keeps nothing', () => {
  const r = request('example.org')
  assert.equal(publish(r, 'forward/upstream', 'x'), false)
  assert.equal(provide(r, 'view/name', 'x'), false)
  assert.equal(r.metadata, undefined)
  assert.equal(metadataValue(r, 'forward/upstream'), undefined)
})

test('every query gets a fresh store; providers add labels only in the ZONES', () => {
  const inside = serve(['example.org.'], 'www.example.org')
  assert.equal(metadataValue(inside, 'forward/upstream'), '127.0.0.1:53')
  assert.equal(metadataValue(inside, 'view/name'), 'internal')
  const outside = serve(['example.org.'], 'www.example.net')
  assert.equal(metadataValue(outside, 'forward/upstream'), '127.0.0.1:53')
  assert.equal(metadataValue(outside, 'view/name'), undefined)
  assert.notEqual(inside.metadata, outside.metadata)
})

test("the block's view filter collected: its store is kept; another block's is not", () => {
  const block = {}
  const r = request('www.example.org')
  collect(r, ['example.org.'], block)
  provide(r, 'view/name', 'v')
  const mine = r.metadata
  metadataHandler(['example.org.'], block, publishing).serveDNS(testContext, new Recorder(), r)
  assert.equal(r.metadata, mine)
  assert.equal(metadataValue(r, 'view/name'), 'internal') // the test handler's provide() replaced 'v'
  assert.equal(metadataValue(r, 'forward/upstream'), '127.0.0.1:53')

  collect(r, ['example.org.'], {}) // an earlier block's, whose view failed
  metadataHandler(['example.net.'], block, publishing).serveDNS(testContext, new Recorder(), r)
  assert.notEqual(r.metadata, mine)
  assert.equal(r.metadata?.block, block)
  assert.equal(metadataValue(r, 'view/name'), undefined) // www.example.org is not in example.net.
})

test('setup: the block zones by default, or the ones given; one line, nothing in a block', () => {
  const parse = (body: string, zones = ['example.org.']) => {
    const { blocks } = loadCorefile({ file: 'Corefile', text: `example.org {\n${body}\n}\n` })
    return parseMetadata(blocks[0]!.directives.filter((d) => d.name.text === 'metadata'), zones)
  }
  assert.deepEqual(parse('metadata'), ['example.org.'])
  assert.deepEqual(parse('metadata Example.NET 10.0.0.0/24'), ['example.net.', '0.0.10.in-addr.arpa.'])
  assert.deepEqual(parse('metadata {\n}'), ['example.org.'])
  assert.throws(() => parse('metadata {\n  x\n}'), (e: CorefileError) => e.code === 'COREFILE_SYNTAX' && e.line === 2)
  assert.throws(() => parse('metadata bad..name'), (e: CorefileError) => e.code === 'COREFILE_VALUE' && e.col === 10)
})
