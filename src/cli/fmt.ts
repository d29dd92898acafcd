// `tsdns fmt [-w] FILE`: canonical layout, comments kept; -w rewrites the file in place.

import { readFileSync, writeFileSync } from 'node:fs'
import { formatCorefile } from '../corefile/format.ts'
import { describeError } from './config.ts'

export function fmt(file: string, write: boolean): number {
  try {
    const text = readFileSync(file, 'utf8')
    const out = formatCorefile(text, file)
    if (write) {
      if (out !== text) writeFileSync(file, out)
    } else {
      process.stdout.write(out)
    }
    return 0
  } catch (err) {
    process.stderr.write(describeError(err) + '\n')
    return 1
  }
}
