// Every plugin README is a man page whose examples work (after CoreDNS's test/readme_test.go):
// the sections are there, and every ~~~ corefile block loads and builds a configuration.

import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { loadCorefile } from '../src/corefile/load.ts'
import { Instance } from '../src/server/instance.ts'
import { setLogSink } from '../src/plugin/log.ts'
import { plugins } from '../plugins/order.ts'

setLogSink(() => {})
const root = fileURLToPath(new URL('..', import.meta.url))
const dirs = readdirSync(join(root, 'plugins'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)

test('every registered plugin has a folder with a README', () => {
  for (const name of plugins.keys()) {
    assert.ok(existsSync(join(root, 'plugins', name, 'README.md')), `plugins/${name}/README.md`)
  }
})

for (const name of dirs) {
  const file = join(root, 'plugins', name, 'README.md')
  if (!existsSync(file) || !plugins.has(name)) continue
  const text = readFileSync(file, 'utf8')
  test(`plugins/${name}/README.md: sections and examples`, () => {
    for (const section of ['## Name', '## Description', '## Syntax', '## Examples']) {
      assert.ok(text.includes(section), `missing ${section}`)
    }
    const blocks = [...text.matchAll(/~~~ corefile\n([\s\S]*?)~~~/g)].map((m) => m[1]!)
    assert.ok(blocks.length > 0, 'at least one ~~~ corefile example')
    for (const [i, corefile] of blocks.entries()) {
      const where = `${name} example ${i + 1}`
      const loaded = loadCorefile({ file: where, text: corefile }, { defaultPort: 1053 })
      Instance.build(loaded.blocks, { defaultPort: 1053, dir: join(root, 'plugins', name) })
    }
  })
}
