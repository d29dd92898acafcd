// chevrotain.ts loads the package's one-file build by path (unbundled starts skip 200 modules);
// the production bundle uses the public entry. This keeps the two the same chevrotain: a package
// update that moved or changed the one-file build fails here, not at a user's start.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as viaFile from './chevrotain.ts'

test('the one-file build chevrotain.ts loads is the public entry, API and version alike', async () => {
  const viaEntry = await import('chevrotain')
  const file = await import(new URL('../chevrotain.mjs', import.meta.resolve('chevrotain')).href)
  assert.equal(file.VERSION, viaEntry.VERSION)
  for (const name of Object.keys(viaFile)) {
    assert.equal(typeof (viaEntry as Record<string, unknown>)[name], typeof (viaFile as Record<string, unknown>)[name], name)
  }
  assert.deepEqual(Object.keys(file).sort(), Object.keys(viaEntry).sort())
})
