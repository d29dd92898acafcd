// `npm run compat -- --record-oneline`: runs every case of test/fixtures/oneline/cases.ts in
// CoreDNS and writes what it did to test/fixtures/oneline/coredns.json.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ONELINE_CASES, WHOLE_CASES } from '../fixtures/oneline/cases.ts'
import { corednsBin, startOrFail, stop, type Outcome } from './coredns.ts'

export const ONELINE_RESULTS = resolve(import.meta.dirname, '../fixtures/oneline/coredns.json')

/** One server block on `port` around a case's body. */
export function onelineCorefile(body: string, port: number): string {
  return `.:${port} {\n    ${body.replaceAll('\n', '\n    ')}\n}\n`
}

/** Every case as the Corefile run: a one-line case in its server block, a whole file as is. */
export function recordedCorefiles(port: number): [name: string, text: string][] {
  return [
    ...Object.entries(ONELINE_CASES).map(([name, body]): [string, string] => [name, onelineCorefile(body, port)]),
    ...Object.entries(WHOLE_CASES),
  ]
}

export async function recordOneline(port: number): Promise<void> {
  const bin = corednsBin()
  const dir = mkdtempSync(join(tmpdir(), 'compat-oneline-'))
  const results: Record<string, Outcome> = {}
  try {
    for (const [name, text] of recordedCorefiles(port)) {
      const file = join(dir, 'Corefile')
      writeFileSync(file, text)
      const args = ['-conf', file, '-dns.port', String(port)]
      const { outcome, child } = await startOrFail(bin, args, /CoreDNS-/, 5000, dir)
      await stop(child)
      results[name] = { started: outcome.started, message: outcome.message.replaceAll(dir, '') }
      process.stdout.write(`${outcome.started ? 'start' : 'fail '} ${name}\n`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  writeFileSync(ONELINE_RESULTS, `${JSON.stringify(results, null, 2)}\n`)
}
