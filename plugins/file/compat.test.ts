// tsdns answers the queries of testdata/queries.ts as CoreDNS 1.14.7 did on the same zone files
// (testdata/coredns.json, recorded by testdata/record.ts from the real binary).

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { buildQuery, freePort, startTsdns, type Tsdns, udpQuery } from '../../test/helpers/index.ts'
import type { RecordType } from 'dns-packet'
import { QUERIES, summarize } from './testdata/queries.ts'

const data = join(import.meta.dirname, 'testdata')
const recorded = JSON.parse(readFileSync(join(data, 'coredns.json'), 'utf8')) as Record<string, unknown>
let server: Tsdns
let port: number

before(async () => {
  port = await freePort()
  const file = (f: string): string => readFileSync(join(data, f), 'utf8')
  server = await startTsdns({
    corefile: file('Corefile').replaceAll('{$PORT}', String(port)),
    files: { 'db.example.org': file('db.example.org'), 'db.example.net': file('db.example.net') },
  })
})
after(() => server?.stop())

for (const [name, type] of QUERIES) {
  test(`${name} ${type} as CoreDNS answers it`, async () => {
    const reply = await udpQuery('127.0.0.1', port, buildQuery(name, type as RecordType, { rd: false }))
    assert.deepEqual(summarize(reply), recorded[`${name} ${type}`])
  })
}
