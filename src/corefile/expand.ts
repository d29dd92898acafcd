// From parsed lines to server blocks: env substitution, snippets and imports, as in
// coredns/caddy's caddyfile/parse.go.
// - `{$VAR}` and `{%VAR%}` are replaced in every token after lexing (quotes do not protect them);
//   an unset variable becomes "". A value is not lexed (spaces stay in the token), but it is
//   searched again for references as caddy does (A='{$B}' gives B's value); where caddy would loop
//   forever (A='{$A}') we stop with an error.
// - `(name) { ... }` at top level declares a snippet; `import PATTERN` as a line of its own (in key
//   position, between directives, or inside a directive's block) inserts a snippet or files.
//   Names are looked up as snippets first, then as files relative to the importing file's
//   directory. As in caddy, a snippet exists from its declaration on: an earlier import of the
//   name looks for a file.
// - Imported tokens keep their own file name (absolute, as caddy does) and positions.

import { readdirSync } from 'node:fs'
import path from 'node:path'
import type { Directive, ServerBlock, Token } from './ast.ts'
import { CorefileError, CorefileErrors } from './errors.ts'
import { stripBom, type SourceToken } from './lexer.ts'
import {
  MAX_FILE_IMPORTS,
  MAX_FILES,
  MAX_IMPORT_DEPTH,
  MAX_NESTING,
  MAX_SNIPPET_EXPANSIONS,
  MAX_TOKENS,
  MAX_TOTAL_BYTES,
  size,
} from './limits.ts'
import { readBounded } from './read.ts'
import {
  afterClose,
  followsClose,
  groupServerBlocks,
  isImport,
  misplacedBrace,
  parseCorefile,
  strayClose,
  type Block,
  type Key,
  type Line,
  type TopLevel,
} from './parser.ts'

export type Env = Readonly<Record<string, string | undefined>>

export interface ExpandOptions {
  readonly env: Env
  /** Read a file as text; throws like node:fs (`code` ENOENT, EISDIR, ...). */
  readonly readFile: (file: string) => string
  /** The names in a directory (for import globs); throws when it is not one. */
  readonly readDir: (dir: string) => string[]
}

export const nodeFs: Pick<ExpandOptions, 'readFile' | 'readDir'> = {
  readFile: readBounded,
  readDir: (dir) => readdirSync(dir),
}

export interface Expanded {
  readonly blocks: ServerBlock[]
  /** Every file read, by the name its tokens carry, as the positions count it (no BOM). */
  readonly sources: Map<string, string>
  readonly warnings: CorefileError[]
}

/** More rounds or a longer text than this means the values refer to each other without end. */
const MAX_ENV_ROUNDS = 1000
const MAX_ENV_LENGTH = 1 << 20

/**
 * caddy's replaceEnvVars (caddyfile/parse.go): first every `{%NAME%}`, then every `{$NAME}`; each
 * round replaces all copies of the first reference and searches the result again from its start,
 * so a value's own references are replaced too. An empty reference (`{$}`, `{%%}`) ends the pass
 * for the rest of the text. Throws when the references never run out (caddy hangs).
 */
export function substituteEnv(text: string, env: Env): string {
  if (!text.includes('{')) return text
  return replaceReferences(replaceReferences(text, '{%', '%}', env), '{$', '}', env)
}

function replaceReferences(text: string, start: string, end: string, env: Env): string {
  let s = text
  for (let rounds = 0, at = s.indexOf(start); at !== -1; at = s.indexOf(start)) {
    // the end is searched from the start of the reference: `{%}` is `{%` overlapping `%}`
    const close = s.indexOf(end, at)
    if (close === -1) break
    if (close <= at + start.length) return s
    const ref = s.slice(at, close + end.length)
    const value = env[ref.slice(start.length, -end.length)] // not Object.prototype's toString...
    s = s.replaceAll(ref, () => (typeof value === 'string' ? value : ''))
    if (++rounds > MAX_ENV_ROUNDS || s.length > MAX_ENV_LENGTH) {
      throw new Error(`environment variables refer to each other without end in '${text}'`)
    }
  }
  return s
}

/** Expand `text` (the contents of `file`). Throws CorefileErrors with every problem found. */
export function expandCorefile(file: string, text: string, opts: ExpandOptions): Expanded {
  return new Expander(opts).run(file, text)
}

/** A bound of limits.ts crossed: the load stops there, with this one error. */
class LimitReached {
  readonly error: CorefileError
  constructor(error: CorefileError) {
    this.error = error
  }
}

interface Snippet {
  readonly lines: readonly Line[]
  readonly declared: SourceToken
}

class Expander {
  private readonly blocks: ServerBlock[] = []
  private readonly sources = new Map<string, string>()
  private readonly warnings: CorefileError[] = []
  private readonly errors: CorefileError[] = []
  /** What is being expanded right now (files and snippets), to report import cycles. */
  private readonly frames: string[] = []
  private readonly opts: ExpandOptions
  private readonly snippets = new Map<string, Snippet>()
  private readonly parsed = new Map<string, readonly Line[] | undefined>()
  /** The import lines being expanded, outermost first: where a bound crossed inside is shown. */
  private readonly imports: SourceToken[] = []
  private snippetExpansions = 0
  /** Directive blocks open around the lines being expanded, across imports and snippets. */
  private depth = 0
  private fileImports = 0
  private bytesRead = 0
  private tokensRead = 0
  private tokensOut = 0
  private bytesOut = 0
  private envBytes = 0
  private readonly substituted = new Map<SourceToken, string>()

  constructor(opts: ExpandOptions) {
    this.opts = opts
  }

  run(file: string, text: string): Expanded {
    const source = stripBom(text)
    this.sources.set(file, source)
    const parsed = parseCorefile(source, file)
    this.errors.push(...parsed.errors)
    this.frames.push(path.resolve(file))
    this.bytesRead = Buffer.byteLength(source)
    this.tokensRead = parsed.tokens
    try {
      this.topLevel(parsed.lines)
    } catch (err) {
      if (!(err instanceof LimitReached)) throw err
      this.errors.push(err.error)
    }
    // a file reached along several import paths reports its problems once
    const errors = [...new Map(this.errors.map((e) => [e.message, e])).values()]
    if (errors.length > 0) throw new CorefileErrors(errors)
    return { blocks: this.blocks, sources: this.sources, warnings: this.warnings }
  }

  private topLevel(lines: readonly Line[]): void {
    const { items, errors } = groupServerBlocks(lines, (t) => this.env(t))
    this.errors.push(...errors)
    for (const item of items) {
      if (item.kind === 'import') this.importing(item.line, (imported) => this.topLevel(imported))
      else this.serverBlock(item)
    }
  }

  private serverBlock(item: Extract<TopLevel, { kind: 'server' }>): void {
    const snippetKey = item.keys.find((k) => k.text.startsWith('(') && k.text.endsWith(')'))
    if (snippetKey) return this.declareSnippet(item, snippetKey)
    if (item.keys.length === 0) {
      const at = item.keyLines[0]!.words[0] ?? item.block!.open
      this.warnings.push(
        new CorefileError('COREFILE_KEY', at, 'server block without keys is ignored'),
      )
      return
    }
    this.blocks.push({
      keys: item.keys.map((k) => this.emit(k.token, k.text)),
      directives: linkStanzas(this.directives(item.body)),
    })
  }

  private declareSnippet(item: Extract<TopLevel, { kind: 'server' }>, key: Key): void {
    const at = key.token
    const name = key.text.slice(1, -1)
    const previous = this.snippets.get(name)
    if (item.keys.length > 1) {
      this.fail('COREFILE_IMPORT', at, `snippet '(${name})' must be the only key of its block`)
    } else if (!item.block) {
      const next = item.body[0]?.words[0] ?? item.close
      const found = next ? `token '${next.text}'` : 'EOF'
      const detail = `unexpected ${found}, expecting '{' after snippet '(${name})'`
      this.fail('COREFILE_SYNTAX', next ?? at, detail)
    } else if (previous) {
      const { file, line, col } = previous.declared
      const detail = `redeclaration of previously declared snippet ${name}`
      this.fail('COREFILE_IMPORT', at, `${detail} (at ${file}:${line}:${col})`)
    } else {
      const self = selfImport(item.block.lines, name, (t) => this.env(t))
      // caddy refuses this at the declaration, whether the snippet is used or not
      if (self) this.fail('COREFILE_IMPORT', self, `import cycle: (${name}) -> (${name})`)
      this.snippets.set(name, { lines: item.block.lines, declared: key.token })
    }
  }

  /**
   * `inBlock`: the lines of a directive's block, where caddy's `{ import x` is no import.
   * Appends to `out` (an imported file may bring more directives than a spread can pass).
   */
  private directives(lines: readonly Line[], inBlock = false, out: Directive[] = []): Directive[] {
    for (const line of lines) {
      const [name, ...args] = line.words
      // `{`, `}` and `} words` lines of a file imported between directives (top-level ones are
      // grouped, and checked)
      if (line.close) {
        this.errors.push(strayClose(line.close))
      } else if (name === undefined) {
        this.errors.push(misplacedBrace(line.block!.open))
      } else if (followsClose(line)) {
        this.errors.push(afterClose(line))
      } else if (isImport(line) && !(inBlock && line.follows)) {
        this.importing(line, (imported) => this.directives(imported, false, out))
      } else {
        const directive = { name: this.token(name), args: args.map((a) => this.token(a)) }
        const { block } = line
        out.push(block ? { ...directive, block: this.nested(block) } : directive)
      }
    }
    return out
  }

  /**
   * A directive's block, a level deeper. The parser bounds nesting per file; an import inside a
   * block starts its own count there, so the total is bounded here (the walk recurses a level).
   */
  private nested(block: Block): Directive[] {
    if (++this.depth > MAX_NESTING) {
      this.limit(block.open, `blocks nest more than ${MAX_NESTING} deep across imports and snippets`)
    }
    try {
      const out = this.directives(block.lines, true)
      // a `}` closing an imported snippet's block is no part of this block
      const last = block.lines.at(-1)
      if (last?.closes && last.words.length > 0 && !isImport(last) && !followsClose(last)) {
        out[out.length - 1] = { ...out.at(-1)!, close: { token: this.token(last.closes) } }
      }
      return out
    } finally {
      this.depth--
    }
  }

  /** Resolve an import line and hand each imported body to `expand`, watching for cycles. */
  private importing(line: Line, expand: (lines: readonly Line[]) => void): void {
    const [keyword, pattern, extra] = line.words
    const fail = (at: SourceToken, detail: string) => this.fail('COREFILE_IMPORT', at, detail)
    if (pattern === undefined) {
      return fail(keyword!, `wrong argument count or unexpected line ending after 'import'`)
    }
    const unexpected = extra ?? line.closes ?? line.block?.open
    if (unexpected) {
      const found = `found '${unexpected.text}'`
      return fail(unexpected, `import takes only one argument (glob pattern or file), ${found}`)
    }
    const name = this.env(pattern)
    if (name === '') return fail(pattern, 'import requires a non-empty filepath')
    const snippet = this.snippets.get(name)
    if (snippet) {
      if (++this.snippetExpansions > MAX_SNIPPET_EXPANSIONS) {
        this.limit(pattern, `maximum snippet import depth (${MAX_SNIPPET_EXPANSIONS}) exceeded`)
      }
      return this.within(`(${name})`, pattern, () => expand(snippet.lines))
    }
    if (++this.fileImports > MAX_FILE_IMPORTS) {
      this.limit(pattern, `maximum file import depth (${MAX_FILE_IMPORTS}) exceeded`)
    }
    for (const file of this.files(name, pattern)) {
      const lines = this.read(file, name, pattern)
      if (lines) this.within(file, pattern, () => expand(lines))
    }
  }

  private within(frame: string, at: SourceToken, run: () => void): void {
    if (this.frames.includes(frame)) {
      const cycle = [...this.frames.slice(this.frames.indexOf(frame)), frame].join(' -> ')
      return this.fail('COREFILE_IMPORT', at, `import cycle: ${cycle}`)
    }
    if (this.imports.length >= MAX_IMPORT_DEPTH) {
      this.limit(at, `imports nest more than ${MAX_IMPORT_DEPTH} deep (files or snippets)`)
    }
    this.frames.push(frame)
    this.imports.push(at)
    run()
    this.imports.pop()
    this.frames.pop()
  }

  /** The files an import names, found as caddy does: relative to the importer, small globs. */
  private files(pattern: string, at: SourceToken): string[] {
    const full = path.resolve(path.dirname(path.resolve(at.file)), pattern)
    const count = (ch: string) => full.split(ch).length - 1
    if (count('*') > 1 || count('?') > 1 || (full.includes('[') && full.includes(']'))) {
      const detail = `glob pattern may only contain one wildcard (*), but has others: ${full}`
      this.fail('COREFILE_IMPORT', at, detail)
      return []
    }
    if (!/[*?]/.test(full)) return [full]
    const matches = glob(full, this.opts.readDir)
    if (matches.length === 0) {
      const detail = `No files matching import glob pattern: ${pattern}` // CoreDNS's words
      this.warnings.push(new CorefileError('COREFILE_IMPORT', at, detail))
    }
    return matches
  }

  /** Read, lex and parse an imported file once; undefined when that failed (errors recorded). */
  private read(file: string, name: string, at: SourceToken): readonly Line[] | undefined {
    if (this.parsed.has(file)) return this.parsed.get(file)
    let lines: readonly Line[] | undefined
    if (this.parsed.size >= MAX_FILES) {
      this.limit(at, `more than ${MAX_FILES} files imported, the limit for a Corefile`)
    }
    let source
    try {
      source = stripBom(this.opts.readFile(file))
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const reason = code === 'EISDIR' ? 'is a directory' : (err as Error).message
      if (code === 'ENOENT') this.fail('COREFILE_IMPORT', at, `file to import not found: ${name}`)
      else this.fail('COREFILE_IMPORT', at, `could not import ${file}: ${reason}`)
    }
    if (source !== undefined) {
      this.bytesRead += Buffer.byteLength(source)
      if (this.bytesRead > MAX_TOTAL_BYTES) {
        this.limit(at, `files imported add up to more than ${size(MAX_TOTAL_BYTES)}, the limit`)
      }
      this.sources.set(file, source)
      const parsed = parseCorefile(source, file)
      this.errors.push(...parsed.errors)
      this.tokensRead += parsed.tokens
      if (this.tokensRead > MAX_TOKENS) {
        this.limit(at, `files imported add up to more than ${MAX_TOKENS} tokens, the limit`)
      }
      if (parsed.errors.length === 0) lines = parsed.lines
    }
    this.parsed.set(file, lines)
    return lines
  }

  /** A token's text after env substitution, once per token however often it is expanded. */
  private env(t: SourceToken): string {
    let text = this.substituted.get(t)
    if (text !== undefined) return text
    try {
      text = substituteEnv(t.text, this.opts.env)
    } catch (err) {
      this.fail('COREFILE_VALUE', t, (err as Error).message)
      text = t.text
    }
    // keys are held in full before they are emitted: what values cost counts here already
    if (text !== t.text && (this.envBytes += text.length) > MAX_TOTAL_BYTES) {
      this.limit(t, `environment values substituted add up to more than ${size(MAX_TOTAL_BYTES)}`)
    }
    this.substituted.set(t, text)
    return text
  }

  private token(t: SourceToken): Token {
    return this.emit(t, this.env(t))
  }

  /** A token of the result: snippets, imports and env values can multiply them, so count. */
  private emit(t: SourceToken, text: string): Token {
    this.bytesOut += text.length
    if (++this.tokensOut > MAX_TOKENS || this.bytesOut > MAX_TOTAL_BYTES) {
      const limit = this.bytesOut > MAX_TOTAL_BYTES ? size(MAX_TOTAL_BYTES) : `${MAX_TOKENS} tokens`
      const detail = `expands to more than ${limit} (imports, snippets and env values), the limit`
      this.limit(this.imports[0] ?? t, this.imports.length > 0 ? `import ${detail}` : detail)
    }
    return token(t, text)
  }

  private fail(code: CorefileError['code'], at: SourceToken, detail: string): void {
    this.errors.push(new CorefileError(code, at, detail))
  }

  /** Stops the load: past a bound, going on would spend what the bound is there to save. */
  private limit(at: SourceToken, detail: string): never {
    throw new LimitReached(new CorefileError('COREFILE_IMPORT', at, detail))
  }
}

/**
 * A stanza whose block's last option has a `}` after it: if an argument read takes that `}`, the
 * block reads on into the directive's next stanza in this server block (InlineClose.next).
 */
function linkStanzas(directives: Directive[]): Directive[] {
  const following = new Map<string, Token>()
  for (let i = directives.length - 1; i >= 0; i--) {
    const d = directives[i]!
    const last = d.block?.at(-1)
    const next = following.get(d.name.text)
    following.set(d.name.text, d.name)
    if (!last?.close || !next) continue
    const option = { ...last, close: { ...last.close, next } }
    directives[i] = { ...d, block: [...d.block!.slice(0, -1), option] }
  }
  return directives
}

/**
 * caddy's guard against a snippet importing itself (parse.go): in the snippet's tokens, braces
 * included, an `import` first on its line followed by a token naming the snippet. Returns that token.
 */
function selfImport(
  lines: readonly Line[],
  name: string,
  textOf: (t: SourceToken) => string,
): SourceToken | undefined {
  const tokens: SourceToken[] = []
  const flatten = (ls: readonly Line[]): void => {
    for (const l of ls) {
      tokens.push(...l.words)
      if (l.block) {
        tokens.push(l.block.open)
        flatten(l.block.lines)
        tokens.push(l.block.close)
      }
    }
  }
  flatten(lines)
  return tokens.find((t, i) => {
    const keyword = tokens[i - 1]
    const lineStart = i < 2 || tokens[i - 2]!.line !== keyword!.line
    return keyword?.text === 'import' && lineStart && textOf(t) === name
  })
}

/** The plain Token plugins see (no raw text, no quoting flags), with its final text. */
function token(t: SourceToken, text: string): Token {
  return { text, file: t.file, line: t.line, col: t.col, length: t.length }
}

/**
 * Go's filepath.Glob for patterns with at most one '*' and one '?': sorted names per directory,
 * '*' also matches names that start with a dot, unreadable directories simply match nothing.
 */
function glob(pattern: string, readDir: (dir: string) => string[]): string[] {
  const wildcard = pattern.search(/[*?]/)
  const start = pattern.lastIndexOf(path.sep, wildcard)
  let found = [pattern.slice(0, start) || path.sep]
  // from the first wildcard on, every part must name an existing entry, so list each directory
  for (const part of pattern.slice(start + 1).split(path.sep)) {
    const re = segmentPattern(part)
    found = found.flatMap((dir) =>
      list(dir, readDir).flatMap((n) => (re.test(n) ? [path.join(dir, n)] : [])),
    )
  }
  return found
}

/** One path segment with at most one '*' and one '?', as a regular expression. */
function segmentPattern(part: string): RegExp {
  const literal = part.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^${literal.replace('*', '.*').replace('?', '.')}$`, 's')
}

function list(dir: string, readDir: (dir: string) => string[]): string[] {
  try {
    return readDir(dir).sort()
  } catch {
    return []
  }
}
