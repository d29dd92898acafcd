// `npm run compat -- --record-oneline`: runs every case of test/fixtures/oneline/cases.ts in
// CoreDNS and writes what it did to test/fixtures/oneline/coredns.json.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ONELINE_CASES } from '../fixtures/oneline/cases.ts'
import { corednsBin, startOrFail, stop, type Outcome } from './coredns.ts'

export const ONELINE_RESULTS = resolve(import.meta.dirname, '../fixtures/oneline/coredns.json')

/** One server block on `port` around a case's body. */
export function onelineCorefile(body: string, port: number): string {
  return `.:${port} {\n    ${body.replaceAll('\n', '\n    ')}\n}\n`
}

export async function recordOneline(port: number): Promise<void> {
  const bin = corednsBin()
  const dir = mkdtempSync(join(tmpdir(), 'compat-oneline-'))
  const results: Record<string, Outcome> = {}
  try {
    for (const [name, body] of Object.entries(ONELINE_CASES)) {
      const file = join(dir, 'Corefile')
      writeFileSync(file, onelineCorefile(body, port))
      const { outcome, child } = await startOrFail(bin, ['-conf', file], /CoreDNS-/, 5000, dir)
      await stop(child)
      results[name] = { started: outcome.started, message: outcome.message.replaceAll(dir, '') }
      process.stdout.write(`${outcome.started ? 'start' : 'fail '} ${name}\n`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  writeFileSync(ONELINE_RESULTS, `${JSON.stringify(results, null, 2)}\n`)
}
