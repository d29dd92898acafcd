// `tsdns check FILE...`: every error of every file, exit 1 when any.

import { resolve } from 'node:path'
import { Instance } from '../server/instance.ts'
import { describeError, parseConfig, readCorefile } from './config.ts'

export function check(files: readonly string[], port: number): number {
  let failed = 0
  for (const f of files) {
    try {
      const cfg = readCorefile(f)
      const blocks = parseConfig(cfg, port)
      Instance.build(blocks, { defaultPort: port, dir: resolve(f, '..') })
      process.stdout.write(`${f}: ok\n`)
    } catch (err) {
      failed++
      process.stderr.write(describeError(err) + '\n')
    }
  }
  return failed > 0 ? 1 : 0
}
