// The one way in: Corefile text to checked server blocks. Lexing, parsing, env substitution,
// snippets and imports (expand.ts), then the server keys (keys.ts). Synchronous and deterministic.

import type { ServerBlock } from './ast.ts'
import type { CorefileError } from './errors.ts'
import { expandCorefile, nodeFs, type Env } from './expand.ts'
import { listenKeysByBlock, zoneSyntaxWarnings, type ListenKey } from './keys.ts'

export interface LoadOptions {
  /** Variables for `{$VAR}` / `{%VAR%}`; process.env when absent. */
  readonly env?: Env
  /** Read a file as text, throwing like node:fs (ENOENT, EISDIR); node:fs when absent. */
  readonly readFile?: (file: string) => string
  /** List a directory (import globs); node:fs when absent. */
  readonly readDir?: (dir: string) => string[]
  /** Port of keys that name none (`-dns.port`); 53 when absent. */
  readonly defaultPort?: number
}

export interface LoadedCorefile {
  readonly blocks: readonly ServerBlock[]
  /** Listen keys per block, in the order of `blocks` (a CIDR key gives several). */
  readonly listenKeys: readonly (readonly ListenKey[])[]
  /** Text of every file read, by file name, for `CorefileError.render`. */
  readonly sources: Map<string, string>
  /**
   * Problems that do not stop the load: an import glob matching nothing, a block without keys, a
   * zone outside RFC 1035's preferred syntax.
   */
  readonly warnings: readonly CorefileError[]
}

/** Throws CorefileErrors listing every problem found. */
export function loadCorefile(
  input: { file: string; text: string },
  opts: LoadOptions = {},
): LoadedCorefile {
  const expanded = expandCorefile(input.file, input.text, {
    env: opts.env ?? process.env,
    readFile: opts.readFile ?? nodeFs.readFile,
    readDir: opts.readDir ?? nodeFs.readDir,
  })
  const listenKeys = listenKeysByBlock(expanded.blocks, opts.defaultPort ?? 53)
  const warnings = [...expanded.warnings, ...zoneSyntaxWarnings(listenKeys)]
  return { ...expanded, listenKeys, warnings }
}

/** loadCorefile for a file on disk; its tokens carry `path` as written. */
export function loadCorefileFile(path: string, opts: LoadOptions = {}): LoadedCorefile {
  const text = (opts.readFile ?? nodeFs.readFile)(path)
  return loadCorefile({ file: path, text }, opts)
}
