// The bounds on what a Corefile can make tsdns read and build (issue 14): a hostile or careless
// file (`import /dev/zero`, a FIFO, a 12 MB token, snippets importing each other twice per level)
// gets a located error naming the bound, in bounded time and memory. CoreDNS has only caddy's
// MAX_SNIPPET_EXPANSIONS and MAX_FILE_IMPORTS: it reads /dev/zero until it runs out of memory,
// blocks on a FIFO and spends 2.3 GB on a snippet blow-up. Real Corefiles are a few KiB with a
// few hundred tokens.

/** Bytes of one file (the Corefile, stdin, an import): a Kubernetes ConfigMap holds at most 1 MiB. */
export const MAX_FILE_BYTES = 1 << 20
/** Bytes of all files read for one load, and of the expanded tokens' text (env values included). */
export const MAX_TOTAL_BYTES = 4 << 20
/** Distinct files read for one load (an import glob matching a huge directory). */
export const MAX_FILES = 1000
/**
 * Tokens lexed from all files of a load (words, braces, line breaks, comments; counted before a
 * file is lexed), and tokens of the result once snippets and imports are expanded. Lexing costs
 * ~260 bytes a token: this keeps a load within ~30 MiB, where a 1 MiB file of `{` lines would
 * take 260 MiB.
 */
export const MAX_TOKENS = 100_000
/** `{` inside `{`: the parser and the expansion recurse once per level. */
export const MAX_NESTING = 100
/** Imports within imports (files or snippets): the expansion recurses once per level. */
export const MAX_IMPORT_DEPTH = 100
/** caddy's maxSnippetImportDepth, counted as caddy does: every snippet import of a load. */
export const MAX_SNIPPET_EXPANSIONS = 10_000
/** Import lines that name files, in all; caddy's limit for file imports. */
export const MAX_FILE_IMPORTS = 100_000

/** `1 MiB` for a power-of-two size, else its bytes. */
export function size(bytes: number): string {
  return bytes % (1 << 20) === 0 ? `${bytes >> 20} MiB` : `${bytes} bytes`
}
