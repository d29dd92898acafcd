// The ready-to-use Corefiles in corefiles/ must load and build as shipped.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { loadCorefile } from '../src/corefile/load.ts'
import { Instance } from '../src/server/instance.ts'
import { setLogSink } from '../src/plugin/log.ts'

setLogSink(() => {})
const dir = fileURLToPath(new URL('../corefiles', import.meta.url))
const files = readdirSync(dir).filter((f) => f.endsWith('.Corefile'))

test('corefiles/ has the default Corefile', () => {
  assert.ok(files.includes('default.Corefile'))
})

for (const f of files) {
  test(`corefiles/${f} loads and builds`, () => {
    const loaded = loadCorefile({ file: join(dir, f), text: readFileSync(join(dir, f), 'utf8') })
    const inst = Instance.build(loaded.blocks, { defaultPort: 53, dir })
    assert.ok(inst.servers.length > 0)
  })
}
