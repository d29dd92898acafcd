// `tsdns fmt [-w] FILE`: canonical layout, comments kept; -w rewrites the file in place.

import { writeFileSync } from 'node:fs'
import { formatCorefile } from '../corefile/format.ts'
import { describeError, readCorefile } from './config.ts'

export function fmt(file: string, write: boolean): number {
  try {
    const { text } = readCorefile(file)
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
