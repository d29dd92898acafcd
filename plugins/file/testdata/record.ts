// Records CoreDNS 1.14.7's answers to QUERIES into coredns.json (not part of npm test):
//   COREDNS_BIN=../shared/coredns/coredns node plugins/file/testdata/record.ts
// The compat test asks tsdns the same and compares with that file.

import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildQuery, freePort, sleep, udpQuery } from '../../../test/helpers/index.ts'
import type { RecordType } from 'dns-packet'
import { QUERIES, summarize } from './queries.ts'

const bin = process.env['COREDNS_BIN'] ?? '../shared/coredns/coredns'
const here = import.meta.dirname
const dir = mkdtempSync(join(tmpdir(), 'file-compat-'))
for (const f of ['Corefile', 'db.example.org', 'db.example.net']) copyFileSync(join(here, f), join(dir, f))
const port = await freePort()
const child = spawn(bin, ['-conf', 'Corefile'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: 'inherit' })
try {
  await sleep(1500)
  const out: Record<string, unknown> = {}
  for (const [name, type] of QUERIES) {
    const reply = await udpQuery('127.0.0.1', port, buildQuery(name, type as RecordType, { rd: false }))
    out[`${name} ${type}`] = summarize(reply)
  }
  writeFileSync(join(here, 'coredns.json'), JSON.stringify(out, null, 1) + '\n')
} finally {
  child.kill()
}
