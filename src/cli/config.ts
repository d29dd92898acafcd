// Where the Corefile comes from (CoreDNS coremain: -conf FILE, -conf stdin, ./Corefile, builtin)
// and how its errors are shown: every error with its line and a caret.

import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { CorefileError, CorefileErrors } from '../corefile/errors.ts'
import { loadCorefile } from '../corefile/load.ts'
import { logLine } from '../plugin/log.ts'
import type { ServerBlock } from '../corefile/ast.ts'

/** CoreDNS's builtin configuration when no Corefile is found. */
export function builtinCorefile(port: number): string {
  return `.:${port} {\n    whoami\n    log\n}\n`
}

export interface ConfigText {
  readonly file: string
  readonly text: string
}

export function readConfig(conf: string | undefined, port: number): ConfigText {
  if (conf === 'stdin') return { file: 'stdin', text: readFileSync(0, 'utf8') }
  if (conf !== undefined) return { file: resolve(conf), text: readFileSync(conf, 'utf8') }
  if (existsSync('Corefile')) return { file: resolve('Corefile'), text: readFileSync('Corefile', 'utf8') }
  return { file: 'builtin', text: builtinCorefile(port) }
}

/** The server blocks; warnings (an import glob matching nothing, ...) are logged as CoreDNS does. */
export function parseConfig(cfg: ConfigText, defaultPort: number): readonly ServerBlock[] {
  const { blocks, warnings } = loadCorefile(cfg, { defaultPort })
  for (const w of warnings) logLine('WARNING', `${w.detail} (${w.file}:${w.line}:${w.col})`)
  return blocks
}

/** Renders one or several Corefile errors with their source lines; other errors as messages. */
export function describeError(err: unknown, sources?: ReadonlyMap<string, string>): string {
  const render = (e: CorefileError) => {
    let text = sources?.get(e.file)
    if (text === undefined) {
      try {
        text = readFileSync(e.file, 'utf8')
      } catch {
        text = undefined
      }
    }
    return e.render(text)
  }
  if (err instanceof CorefileErrors) return err.errors.map(render).join('\n')
  if (err instanceof CorefileError) return render(err)
  return err instanceof Error ? err.message : String(err)
}
