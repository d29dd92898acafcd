// Corefile structure, after coredns/caddy's caddyfile/parse.go and dispenser.go.
//
// The grammar only knows lines: a line is words, optionally ending in a `{ ... }` block whose
// lines nest the same way. Whether a line is a directive or a list of server block keys depends on
// where it is, so `groupServerBlocks` reads top-level lines afterwards (also for imported files
// and snippets, whose lines are only known to be top-level once imported there).
//
// Braces, as caddy counts them (parse.go directive(), directives(), addresses()):
// - words after `{` start the block's first line (`. { whoami`, `forward . 1.1.1.1 { force_tcp`);
// - a `}` after words closes a directive's block as caddy's parser counts braces
//   (`errors { stacktrace }`); the line keeps it as `closes`, because caddy's Dispenser hands it to
//   an option that reads the rest of its line (args.ts). A server block's `}` after words is
//   caddy's "Unexpected '}'" (expand.ts), and with no block open it is one here;
// - after a top-level block's `}`, the rest of the line starts the next top-level line
//   (`} example.org {`); after a directive's `}`, more words are an error (caddy adds them to that
//   directive's tokens);
// - a top-level `}` line ends a brace-less server block; in key position it is a key (caddy's
//   addresses() takes any word: `}` alone serves the zone "}.");
// - a server block's `{` may start the line after its keys; a directive's `{` must be on the
//   directive's line.

import {
  createTokenInstance,
  CstParser,
  defaultParserErrorProvider,
  EOF,
  type CstNode,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from './chevrotain.ts'
import { CorefileError } from './errors.ts'
import { MAX_NESTING, MAX_TOKENS } from './limits.ts'
import {
  countTokens,
  InlineRCurly,
  LCurly,
  lex,
  NewLine,
  position,
  RCurly,
  sourceToken,
  Text,
  tokenTypes,
  type SourceToken,
} from './lexer.ts'

export interface Block {
  readonly open: SourceToken
  readonly lines: readonly Line[]
  readonly close: SourceToken
}

/**
 * One line. `words` is empty for a server block's `{` written on the line after its keys, and for
 * a top-level `}` line (`close`).
 */
export interface Line {
  readonly words: readonly SourceToken[]
  readonly block?: Block
  /** The brace before the first word on its source line: `{ whoami`, `} example.org {`. */
  readonly follows?: SourceToken
  /** A top-level `}` first on its line: it ends a brace-less server block, or it is a key. */
  readonly close?: SourceToken
  /** The `}` after this line's words that closes the block the line is in. */
  readonly closes?: SourceToken
}

export interface ParsedFile {
  readonly lines: readonly Line[]
  readonly comments: readonly SourceToken[]
  /** Lexing and syntax errors, all of them; `lines` is empty when there are any. */
  readonly errors: readonly CorefileError[]
  /** Tokens lexed (countTokens; up to the first past MAX_TOKENS), for the load's budget. */
  readonly tokens: number
}

// parser

// Only these two are reachable: `line` is entered on a word, so AT_LEAST_ONE never exits early,
// and `document` takes every token that can start a line.
const messages = {
  ...defaultParserErrorProvider,
  buildMismatchTokenMessage: (o: { expected: TokenType; actual: IToken; previous: IToken }) =>
    unexpected(o.actual, [o.expected], o.previous),
  buildNoViableAltMessage: (o: {
    expectedPathsPerAlt: TokenType[][][]
    actual: IToken[]
    previous: IToken
  }) => {
    const firsts = o.expectedPathsPerAlt.flatMap((paths) => paths.map((path) => path[0]))
    return unexpected(o.actual[0], firsts, o.previous)
  },
}

class CorefileParser extends CstParser {
  /**
   * Chevrotain's grammar validations (ambiguous alternatives, left recursion...) cost ~14 ms of
   * every start and find nothing new in a grammar that passed them once: `checkGrammar` runs them
   * in the tests.
   */
  constructor(validate = false) {
    super(tokenTypes, {
      recoveryEnabled: true,
      errorMessageProvider: messages,
      nodeLocationTracking: 'onlyOffset',
      skipValidations: !validate,
    })
    this.performSelfAnalysis()
  }

  document = this.RULE('document', () => {
    this.MANY(() =>
      this.OR([
        { ALT: () => this.CONSUME(NewLine) },
        { ALT: () => this.SUBRULE(this.topLine) },
        { ALT: () => this.SUBRULE(this.bareBlock) },
        // ends a brace-less server block, or is a key: `groupServerBlocks` tells which
        { ALT: () => this.SUBRULE(this.closeLine) },
      ]),
    )
  })

  // Top-level lines differ from nested ones only after a block's `}`: what follows it on the
  // line is the next top-level line (`} example.org {`).
  topLine = this.RULE('topLine', () => {
    this.AT_LEAST_ONE(() => this.CONSUME(Text))
    this.OR([
      { ALT: () => this.SUBRULE(this.end) },
      {
        ALT: () => {
          this.SUBRULE(this.block)
          this.SUBRULE(this.after)
        },
      },
    ])
  })

  bareBlock = this.RULE('bareBlock', () => {
    this.SUBRULE(this.block)
    this.SUBRULE(this.after)
  })

  closeLine = this.RULE('closeLine', () => {
    this.CONSUME(RCurly)
    this.SUBRULE(this.after)
  })

  // caddy reads on after a block's `}` as at the start of a line: `} }`, `} {` too
  after = this.RULE('after', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.end) },
      { ALT: () => this.SUBRULE(this.topLine) },
      { ALT: () => this.SUBRULE(this.bareBlock) },
      { ALT: () => this.SUBRULE(this.closeLine) },
    ])
  })

  line = this.RULE('line', () => {
    this.AT_LEAST_ONE(() => this.CONSUME(Text))
    this.OPTION(() => this.SUBRULE(this.block))
    this.SUBRULE(this.end)
  })

  block = this.RULE('block', () => {
    this.CONSUME(LCurly)
    this.OR([
      { ALT: () => this.CONSUME(InlineRCurly) },
      {
        ALT: () => {
          // words right after `{` are the block's first line, as caddy reads them
          this.OR2([
            { ALT: () => this.SUBRULE(this.line) },
            { ALT: () => this.CONSUME(NewLine) },
          ])
          this.MANY(() =>
            this.OR3([
              { ALT: () => this.CONSUME2(NewLine) },
              { ALT: () => this.SUBRULE2(this.line) },
            ]),
          )
          this.CONSUME(RCurly)
        },
      },
    ])
  })

  // A plain CONSUME (the input always ends with a line break) lets chevrotain recover from a stray
  // token at the end of a line by deleting it, instead of abandoning the whole line.
  end = this.RULE('end', () => {
    this.CONSUME(NewLine)
  })
}

const parser = new CorefileParser()

/** Builds the parser with chevrotain's validations on: throws on a grammar mistake. */
export function checkGrammar(): void {
  new CorefileParser(true)
}

// errors

const DIRECTIVE_BRACE = 'a block opens on the same line as its directive'

/** A `{` line where a directive was expected. */
export function misplacedBrace(open: SourceToken): CorefileError {
  return syntax(open, `unexpected token '{', expecting a directive (${DIRECTIVE_BRACE})`)
}

function unexpected(
  actual: IToken | undefined,
  expected: (TokenType | undefined)[],
  previous: IToken | undefined,
): string {
  const names = [...new Set(expected.map(describeType))]
  const wanted = names.length > 0 ? `, expecting ${names.join(' or ')}` : ''
  return `unexpected ${describe(actual)}${wanted}${hint(actual?.tokenType, previous?.tokenType)}`
}

function describe(t: IToken | undefined): string {
  if (t === undefined || t.tokenType === EOF) return 'EOF'
  return `token '${sourceToken(t, '').text}'`
}

function describeType(t: TokenType | undefined): string {
  if (t === NewLine) return 'a line break'
  if (t === LCurly) return "'{'"
  if (t === RCurly || t === InlineRCurly) return "'}'"
  if (t === EOF || t === undefined) return 'EOF'
  return 'a word'
}

function hint(actual: TokenType | undefined, previous: TokenType | undefined): string {
  const isClose = (t: TokenType | undefined) => t === RCurly || t === InlineRCurly
  if (actual === EOF || (actual === LCurly && isClose(previous))) return ''
  if (actual === InlineRCurly) return ' (no block is open for it to close)'
  if (isClose(actual) || isClose(previous)) return CLOSE_HINT
  if (actual === LCurly) return ` (${DIRECTIVE_BRACE})`
  return ''
}

const CLOSE_HINT = " (a block's '}' ends its line)"

/** Words after a directive block's `}`: caddy adds them to that directive's tokens. */
export function afterClose(line: Line): CorefileError {
  const detail = `unexpected token '${line.words[0]!.text}', expecting a line break${CLOSE_HINT}`
  return syntax(line.words[0]!, detail)
}

/** A `}` line in an imported file between directives (CoreDNS would end the server block there). */
export function strayClose(close: SourceToken): CorefileError {
  return syntax(close, STRAY)
}

/** A line that came right after a block's `}` on the same source line. */
export function followsClose(line: Line): boolean {
  return line.follows?.text === '}'
}

/**
 * Chevrotain's EOF token has no position; an error at EOF is about a brace that was never closed,
 * so point at it (the innermost first).
 */
function locate(errors: IRecognitionException[], tokens: IToken[], file: string): CorefileError[] {
  const unclosed: IToken[] = []
  for (const t of tokens) {
    if (t.tokenType === LCurly) unclosed.push(t)
    else if (t.tokenType === RCurly || t.tokenType === InlineRCurly) unclosed.pop()
  }
  const located = errors.flatMap((e) => {
    if (e.token.tokenType !== EOF) return [syntax(sourceToken(e.token, file), e.message)]
    const brace = unclosed.pop()
    // every `{` has its `}`: a misplaced one (`{ log }`), reported where it stands, caused this
    return brace ? [syntax(sourceToken(brace, file), `${e.message} to close this '{'`)] : []
  })
  if (located.length > 0 || errors.length === 0) return located
  return [syntax(sourceToken(tokens.at(-1)!, file), errors[0]!.message)]
}

function syntax(at: SourceToken, detail: string): CorefileError {
  return new CorefileError('COREFILE_SYNTAX', at, detail)
}

/** Recovery can report a line's mistake more than once; its first report is the one that helps. */
function firstPerLine(errors: CorefileError[]): CorefileError[] {
  const reported = new Set<number>()
  return errors
    .sort((a, b) => a.line - b.line || a.col - b.col)
    .filter((e) => !reported.has(e.line) && Boolean(reported.add(e.line)))
}

/** The grammar ends every line with a line break, the last one included. */
function terminated(tokens: IToken[]): IToken[] {
  const last = tokens.at(-1)
  if (last === undefined || last.tokenType === NewLine) return tokens
  const { endLine, endCol, endOffset } = position(last)
  const [col, offset] = [endCol + 1, endOffset + 1]
  return [...tokens, createTokenInstance(NewLine, '', offset, offset, endLine, endLine, col, col)]
}

// CST to lines

function children(node: CstNode, key: string): CstNode[] {
  return (node.children[key] ?? []) as CstNode[]
}

function terminals(node: CstNode, key: string): IToken[] {
  return (node.children[key] ?? []) as IToken[]
}

function buildLine(node: CstNode, file: string): Line {
  const words = terminals(node, 'Text').map((t) => sourceToken(t, file))
  const block = children(node, 'block')[0]
  return block ? { words, block: buildBlock(block, file) } : { words }
}

function buildBlock(node: CstNode, file: string): Block {
  const [open] = terminals(node, 'LCurly')
  const close = closeOf(node)
  if (!open || !close) {
    throw new Error(`corefile parser: incomplete block in an error-free parse of ${file}`)
  }
  const lines = children(node, 'line').map((l) => buildLine(l, file))
  const first = lines[0]
  if (first && first.words[0]!.line === position(open).endLine) {
    lines[0] = { ...first, follows: sourceToken(open, file) }
  }
  const last = lines.at(-1)
  const closeToken = sourceToken(close, file)
  if (last && lastLine(last) === closeToken.line) {
    lines[lines.length - 1] = { ...last, closes: closeToken }
  }
  return { open: sourceToken(open, file), lines, close: closeToken }
}

/** The source line a line's last token ends on. */
function lastLine(line: Line): number {
  return line.block ? line.block.close.line : line.words.at(-1)!.endLine
}

function closeOf(block: CstNode): IToken | undefined {
  return [...terminals(block, 'RCurly'), ...terminals(block, 'InlineRCurly')][0]
}

/** Top-level nodes in order, a line after a `}` (`after`) as a node of its own. */
function topNodes(doc: CstNode): { node: CstNode; follows: IToken | undefined }[] {
  const firsts = [...children(doc, 'topLine'), ...children(doc, 'bareBlock')]
  const sorted = [...firsts, ...children(doc, 'closeLine')].sort(
    (a, b) => (a.location?.startOffset ?? 0) - (b.location?.startOffset ?? 0),
  )
  return sorted.flatMap((first) => {
    const out = []
    let follows: IToken | undefined
    for (let node: CstNode | undefined = first; node; ) {
      out.push({ node, follows })
      const block = children(node, 'block')[0]
      follows = block ? closeOf(block) : terminals(node, 'RCurly')[0]
      node = children(node, 'after').flatMap((a) => [
        ...children(a, 'topLine'),
        ...children(a, 'bareBlock'),
        ...children(a, 'closeLine'),
      ])[0]
    }
    return out
  })
}

/** A top-level line. */
function buildTop(top: { node: CstNode; follows: IToken | undefined }, file: string): Line {
  const { node } = top
  const [close] = terminals(node, 'RCurly')
  const follows = top.follows ? { follows: sourceToken(top.follows, file) } : {}
  if (close) return { words: [], close: sourceToken(close, file), ...follows }
  const blockNode = children(node, 'block')[0]
  const line: Line = {
    words: terminals(node, 'Text').map((t) => sourceToken(t, file)),
    ...(blockNode ? { block: buildBlock(blockNode, file) } : {}),
  }
  return { ...line, ...follows }
}

const STRAY = "unexpected '}' because no matching opening brace"

// wrapping it all together

/** Lex and parse one file (without its BOM). Never throws: errors are returned, all of them. */
export function parseCorefile(text: string, file: string): ParsedFile {
  const { count, past } = countTokens(text, MAX_TOKENS)
  if (past !== undefined) {
    const detail = `more than ${MAX_TOKENS} tokens (words, braces, line breaks), the limit for this file`
    return { lines: [], comments: [], errors: [syntax(at(text, past, file), detail)], tokens: count }
  }
  const lexed = lex(text, file)
  const tooDeep = nesting(lexed.tokens, file)
  if (tooDeep) return { lines: [], comments: lexed.comments, errors: [tooDeep], tokens: count }
  const tokens = terminated(splitInlineCloses(lexed.tokens))
  parser.input = tokens
  const doc = parser.document()
  // an unclosed quote takes the rest of the file with it: the braces it hides are no news
  const parseErrors = parser.errors.filter(
    (e) => lexed.errors.length === 0 || e.token.tokenType !== EOF,
  )
  const errors = [...lexed.errors, ...locate(parseErrors, tokens, file)]
  if (errors.length > 0) {
    return { lines: [], comments: lexed.comments, errors: firstPerLine(errors), tokens: count }
  }
  const lines = topNodes(doc).map((top) => buildTop(top, file))
  return { lines, comments: lexed.comments, errors: [], tokens: count }
}

/**
 * A `}` after words inside a block closes that block, as caddy's parser counts braces: it becomes
 * a line break and a `}` first on its line, which the grammar knows. A `}` right after a top-level
 * `}` is read as one first on its line too (`} }`: a key for caddy). Any other `}` outside blocks
 * stays an InlineRCurly, an error; right after `{` too, the empty block `{ }`.
 */
function splitInlineCloses(tokens: IToken[]): IToken[] {
  const out: IToken[] = []
  let depth = 0
  for (const t of tokens) {
    const previous = out.at(-1)
    if (t.tokenType === LCurly) depth++
    else if (t.tokenType === RCurly) depth = Math.max(0, depth - 1)
    else if (t.tokenType === InlineRCurly && depth > 0) {
      depth--
      if (previous?.tokenType !== LCurly) {
        const { line, col } = position(t)
        out.push(createTokenInstance(NewLine, '', t.startOffset, t.startOffset, line, line, col, col))
        out.push(asRCurly(t))
        continue
      }
    } else if (t.tokenType === InlineRCurly && previous?.tokenType === RCurly) {
      out.push(asRCurly(t))
      continue
    }
    out.push(t)
  }
  return out
}

function asRCurly(t: IToken): IToken {
  const { line, col, endCol, endOffset } = position(t)
  return createTokenInstance(RCurly, t.image, t.startOffset, endOffset, line, line, col, endCol)
}

/** The `{` past MAX_NESTING: the parser (and every walk of its lines) recurses once a level. */
function nesting(tokens: IToken[], file: string): CorefileError | undefined {
  let depth = 0
  for (const t of tokens) {
    if (t.tokenType === LCurly && ++depth > MAX_NESTING) {
      return syntax(sourceToken(t, file), `unexpected '{', blocks nest at most ${MAX_NESTING} deep`)
    }
    if (t.tokenType === RCurly || t.tokenType === InlineRCurly) depth = Math.max(0, depth - 1)
  }
  return undefined
}

/** The token at `offset` of `text`, as far as a located error needs it. */
function at(text: string, offset: number, file: string): SourceToken {
  const start = text.lastIndexOf('\n', offset - 1) + 1
  let line = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++
  const raw = text.slice(offset, offset + 1)
  const length = Math.max(1, text.slice(offset, offset + 80).search(/\s|$/))
  return { text: raw, raw, file, line, col: offset - start + 1, length, quoted: false, endLine: line }
}

// server blocks

export interface Key {
  readonly token: SourceToken
  /** The key after env substitution, without its trailing comma. */
  readonly text: string
}

export type TopLevel =
  | { readonly kind: 'import'; readonly line: Line }
  | {
      readonly kind: 'server'
      /** Key lines as written: more than one when a key ends with a comma. */
      readonly keyLines: readonly Line[]
      readonly keys: readonly Key[]
      /** The braces, on the last key line or on the next line; none for a brace-less block. */
      readonly block: Block | undefined
      /** The block's lines, or the lines of a brace-less block (directives only). */
      readonly body: readonly Line[]
      /** The `}` line that ended a brace-less block before EOF. */
      readonly close?: SourceToken
    }

export function isImport(line: Line): boolean {
  return line.words[0]?.text === 'import'
}

/**
 * Read top-level lines as caddy reads addresses: keys up to the end of the line, or further while
 * a key ends with a comma; then `{` (on that line or the next) or, without braces, the lines up to
 * a `}` line or EOF as the block's directives. An `import` first on its source line in key
 * position stays an import (after `}` caddy takes it for a key).
 * `textOf` gives a key's text after env substitution (commas and `import` count after it).
 */
export function groupServerBlocks(
  lines: readonly Line[],
  textOf: (t: SourceToken) => string,
): { items: TopLevel[]; errors: CorefileError[] } {
  const items: TopLevel[] = []
  const errors: CorefileError[] = []
  let i = 0
  while (i < lines.length) {
    const { line, spans } = keyLine(lines, i)
    i += spans - 1
    if (line.words.length === 0) {
      // caddy's addresses() stops at `{` with no keys; the block is read, then dropped
      items.push({ kind: 'server', keyLines: [line], keys: [], block: line.block, body: line.block!.lines })
      i++
      continue
    }
    // in key position caddy substitutes env before it looks for `import` (not between directives)
    if (!line.follows && textOf(line.words[0]!) === 'import') {
      items.push({ kind: 'import', line })
      i++
      continue
    }
    const keyLines = [line]
    const keys = addKeys({ keys: [], more: false }, line, textOf)
    while (keys.more && !keyLines.at(-1)!.block) {
      if (i + 1 >= lines.length) break
      const { line: next, spans } = keyLine(lines, i + 1)
      if (next.words.length === 0) break
      keyLines.push(next)
      addKeys(keys, next, textOf)
      i += spans
    }
    const last = keyLines.at(-1)!
    const next = lines[i + 1]
    const bare = !last.block && next?.block && next.words.length === 0 ? next : undefined
    const block = last.block ?? bare?.block
    if (keys.more) {
      const comma = last.words.at(-1)!
      const expecting = `expecting another key after '${comma.text}'`
      errors.push(
        block
          ? syntax(block.open, `unexpected token '{', ${expecting} (check for an extra comma)`)
          : syntax(comma, `unexpected EOF, ${expecting}`),
      )
    }
    if (block) {
      items.push({ kind: 'server', keyLines, keys: keys.keys, block, body: block.lines })
      i += bare ? 2 : 1
      const closes = block.lines.at(-1)?.closes
      if (closes && !isSnippet(keys.keys)) {
        errors.push(serverClose(closes))
        // `whoami }` then `}`: that `}` is the one the block meant, not a stray one
        if (lines[i]?.close) i++
      }
    } else {
      // caddy's directives() ends a brace-less block at a `}` where a directive would start
      const end = lines.findIndex((l, j) => j > i && l.close)
      const rest = lines.slice(i + 1, end === -1 ? lines.length : end)
      for (const l of rest) {
        if (l.words.length === 0) errors.push(misplacedBrace(l.block!.open))
        else if (followsClose(l)) errors.push(afterClose(l))
      }
      const body = rest.filter((l) => l.words.length > 0 && !followsClose(l))
      const close = end === -1 ? undefined : lines[end]!.close
      // `cache {` then `} }`: caddy's directive() meets the second with no block open
      if (close && followsClose(lines[end]!)) errors.push(syntax(close, STRAY))
      items.push({ kind: 'server', keyLines, keys: keys.keys, block, body, ...(close && { close }) })
      i = end === -1 ? lines.length : end + 1
    }
  }
  return { items, errors }
}

/**
 * lines[i] as a line of keys, and how many lines it spans. A top-level `}` there is a key for
 * caddy's addresses() like any word (CoreDNS then serves the zone "}."), and the words after it on
 * its line are more keys: `}` alone, a `}` after the last block, `} example.org {`, `} }`.
 */
function keyLine(lines: readonly Line[], i: number): { line: Line; spans: number } {
  if (!lines[i]!.close) return { line: lines[i]!, spans: 1 }
  const words: SourceToken[] = []
  let j = i
  for (let close = lines[j]!.close; close; close = lines[j]!.close) {
    words.push(close)
    const next = lines[j + 1]
    if (next?.follows?.line !== close.line || next.follows.col !== close.col) {
      return { line: { words }, spans: j - i + 1 }
    }
    j++
  }
  const rest = lines[j]!
  words.push(...rest.words)
  return { line: rest.block ? { words, block: rest.block } : { words }, spans: j - i + 1 }
}

/** caddy's snippet: one key in parentheses; its tokens end where braces balance, `}` anywhere. */
function isSnippet(keys: readonly Key[]): boolean {
  return keys.length === 1 && keys[0]!.text.startsWith('(') && keys[0]!.text.endsWith(')')
}

/** A server block's `}` after words: caddy's directive() meets it with no block open. */
function serverClose(at: SourceToken): CorefileError {
  return syntax(at, `${STRAY} (a server block's '}' starts its line)`)
}

/**
 * Adds a line's keys to `acc` (one line at a time: keys ending with commas can run over thousands
 * of lines). Caddy drops empty keys (`""`, an unset variable); a trailing comma means another key
 * follows.
 */
function addKeys(
  acc: { keys: Key[]; more: boolean },
  line: Line,
  textOf: (t: SourceToken) => string,
): { keys: Key[]; more: boolean } {
  for (const token of line.words) {
    const text = textOf(token)
    if (text === '') continue
    acc.more = text.endsWith(',')
    acc.keys.push({ token, text: acc.more ? text.slice(0, -1) : text })
  }
  return acc
}
