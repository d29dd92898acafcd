import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadCorefile } from '../../src/corefile/load.ts'
import { checkEvery, parseReload } from './setup.ts'

function parse(line: string) {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${line}\n}\n` })
  return parseReload(blocks[0]!.directives.filter((d) => d.name.text === 'reload'))
}

test('defaults: a check every 30s, moved by at most half the 15s jitter (CoreDNS)', () => {
  const cfg = parse('reload')
  assert.deepEqual(cfg, { intervalMs: 30_000, jitterMs: 15_000 })
  assert.equal(checkEvery(cfg, 0), 22_500)
  assert.equal(checkEvery(cfg, 0.5), 30_000)
  assert.ok(checkEvery(cfg, 0.999999) < 37_500)
})

test('the jitter is capped at half the interval', () => {
  const cfg = parse('reload 10s')
  assert.deepEqual(cfg, { intervalMs: 10_000, jitterMs: 5_000 })
  assert.equal(checkEvery(cfg, 0), 7_500)
})
