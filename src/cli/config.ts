// Where the Corefile comes from (CoreDNS coremain: -conf FILE, -conf stdin, ./Corefile, builtin)
// and how its errors are shown: every error with its line and a caret.

import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { CorefileError, CorefileErrors, listErrors } from '../corefile/errors.ts'
import { loadCorefile } from '../corefile/load.ts'
import { readBounded, readStdinBounded, UnreadableFile } from '../corefile/read.ts'
import { logLine } from '../plugin/log.ts'
import type { ServerBlock } from '../corefile/ast.ts'

/** CoreDNS's builtin configuration when no Corefile is found. */
function builtinCorefile(port: number): string {
  return `.:${port} {\n    whoami\n    log\n}\n`
}

export interface ConfigText {
  readonly file: string
  readonly text: string
}

export function readConfig(conf: string | undefined, port: number): ConfigText {
  if (conf === 'stdin') return readText('stdin', readStdinBounded)
  if (conf !== undefined) return readCorefile(conf)
  if (existsSync('Corefile')) return readCorefile('Corefile')
  return { file: 'builtin', text: builtinCorefile(port) }
}

/**
 * A Corefile on disk, named by its absolute path: a regular file of at most MAX_FILE_BYTES
 * (corefile/read.ts), else a CorefileError at its first line; other failures as node:fs throws them.
 */
export function readCorefile(path: string): ConfigText {
  return readText(resolve(path), () => readBounded(path))
}

function readText(file: string, read: () => string): ConfigText {
  try {
    return { file, text: read() }
  } catch (err) {
    if (!(err instanceof UnreadableFile)) throw err
    const at = { file, line: 1, col: 1, length: 1 }
    throw new CorefileError('COREFILE_IMPORT', at, `could not read ${file}: ${err.message}`)
  }
}

/**
 * The server blocks; warnings (an import glob matching nothing, ...) are logged as CoreDNS does.
 * A Corefile without server blocks (empty, only comments or snippets) serves the builtin one,
 * as caddy's loadServerBlocks falls back to CoreDNS's default input.
 */
export function parseConfig(cfg: ConfigText, defaultPort: number): readonly ServerBlock[] {
  const { blocks, warnings } = loadCorefile(cfg, { defaultPort })
  for (const w of warnings) logLine('WARNING', `${w.detail} (${w.file}:${w.line}:${w.col})`)
  if (blocks.length > 0) return blocks
  return loadCorefile({ file: 'builtin', text: builtinCorefile(defaultPort) }, { defaultPort }).blocks
}

/** Renders one or several Corefile errors with their source lines; other errors as messages. */
export function describeError(err: unknown, sources?: ReadonlyMap<string, string>): string {
  const read = new Map<string, string | undefined>(sources) // each file read once
  const render = (e: CorefileError) => {
    if (!read.has(e.file)) read.set(e.file, readOrUndefined(e.file))
    return e.render(read.get(e.file))
  }
  if (err instanceof CorefileErrors) return listErrors(err.errors, render)
  if (err instanceof CorefileError) return render(err)
  return err instanceof Error ? err.message : String(err)
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readBounded(file)
  } catch {
    return undefined
  }
}
