// Corefile structure, after coredns/caddy's caddyfile/parse.go and dispenser.go.
//
// The grammar only knows lines: a line is words, optionally ending in a `{ ... }` block whose
// lines nest the same way. Whether a line is a directive or a list of server block keys depends on
// where it is, so `groupServerBlocks` reads top-level lines afterwards (also for imported files
// and snippets, whose lines are only known to be top-level once imported there).
//
// Braces: caddy's parser accepts `forward . 1.2.3.4 { force_tcp }`, but its dispenser then reads
// `}` as one more argument of `force_tcp`; and it rejects `. { whoami }` with "Unexpected '}'
// because no matching opening brace". We make the rule explicit: `{` ends its line and `}` stands
// on a line of its own (an empty `{ }` may stay on one line); a `}` after other words never closes
// a block. A server block's `{` may also start the line after its keys, as in caddy; a
// directive's `{` must be on the directive's line.

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
import {
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

/** One line; `words` is empty for a server block's `{` written on the line after its keys. */
export interface Line {
  readonly words: readonly SourceToken[]
  readonly block?: Block
}

export interface ParsedFile {
  readonly lines: readonly Line[]
  readonly comments: readonly SourceToken[]
  /** Lexing and syntax errors, all of them; `lines` is empty when there are any. */
  readonly errors: readonly CorefileError[]
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
  constructor() {
    super(tokenTypes, {
      recoveryEnabled: true,
      errorMessageProvider: messages,
      nodeLocationTracking: 'onlyOffset',
    })
    this.performSelfAnalysis()
  }

  document = this.RULE('document', () => {
    this.MANY(() =>
      this.OR([
        { ALT: () => this.CONSUME(NewLine) },
        { ALT: () => this.SUBRULE(this.line) },
        { ALT: () => this.SUBRULE(this.bareBlock) },
        // a `}` closing nothing: kept in the tree so the builder reports every one of them
        { ALT: () => this.CONSUME(RCurly) },
      ]),
    )
  })

  line = this.RULE('line', () => {
    this.AT_LEAST_ONE(() => this.CONSUME(Text))
    this.OPTION(() => this.SUBRULE(this.block))
    this.SUBRULE(this.end)
  })

  bareBlock = this.RULE('bareBlock', () => {
    this.SUBRULE(this.block)
    this.SUBRULE(this.end)
  })

  block = this.RULE('block', () => {
    this.CONSUME(LCurly)
    this.OR([
      { ALT: () => this.CONSUME(InlineRCurly) },
      {
        ALT: () => {
          this.CONSUME(NewLine)
          this.MANY(() =>
            this.OR2([
              { ALT: () => this.CONSUME2(NewLine) },
              { ALT: () => this.SUBRULE(this.line) },
            ]),
          )
          this.CONSUME2(RCurly)
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
  if (actual === EOF) return ''
  if ([actual, previous].some((t) => t === RCurly || t === InlineRCurly)) {
    return " ('}' must be on a line of its own)"
  }
  if (previous === LCurly) return " (a block's lines start on the line after '{')"
  if (actual === LCurly) return ` (${DIRECTIVE_BRACE})`
  return ''
}

/**
 * Chevrotain's EOF token has no position; an error at EOF is about a brace that was never closed,
 * so point at it (the innermost first).
 */
function locate(errors: IRecognitionException[], tokens: IToken[], file: string): CorefileError[] {
  const unclosed: IToken[] = []
  tokens.forEach((t, i) => {
    if (t.tokenType === LCurly) unclosed.push(t)
    else if (
      t.tokenType === RCurly ||
      (t.tokenType === InlineRCurly && tokens[i - 1]?.tokenType === LCurly)
    ) {
      unclosed.pop()
    }
  })
  return errors.map((e) => {
    const brace = e.token.tokenType === EOF ? unclosed.pop() : undefined
    if (brace) return syntax(sourceToken(brace, file), `${e.message} to close this '{'`)
    const at = e.token.tokenType === EOF ? tokens.at(-1)! : e.token
    return syntax(sourceToken(at, file), e.message)
  })
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
  const [close] = [...terminals(node, 'RCurly'), ...terminals(node, 'InlineRCurly')]
  if (!open || !close) {
    throw new Error(`corefile parser: incomplete block in an error-free parse of ${file}`)
  }
  return {
    open: sourceToken(open, file),
    lines: children(node, 'line').map((l) => buildLine(l, file)),
    close: sourceToken(close, file),
  }
}

function buildTopLine(node: CstNode, file: string): Line {
  if (node.name === 'line') return buildLine(node, file)
  return { words: [], block: buildBlock(children(node, 'block')[0]!, file) }
}

// wrapping it all together

/** Lex and parse one file (without its BOM). Never throws: errors are returned, all of them. */
export function parseCorefile(text: string, file: string): ParsedFile {
  const lexed = lex(text, file)
  const tokens = terminated(lexed.tokens)
  parser.input = tokens
  const doc = parser.document()
  const strays = terminals(doc, 'RCurly').map((t) =>
    syntax(sourceToken(t, file), "unexpected '}' because no matching opening brace"),
  )
  // an unclosed quote takes the rest of the file with it: the braces it hides are no news
  const parseErrors = parser.errors.filter(
    (e) => lexed.errors.length === 0 || e.token.tokenType !== EOF,
  )
  const errors = [...lexed.errors, ...locate(parseErrors, tokens, file), ...strays]
  if (errors.length > 0) {
    return { lines: [], comments: lexed.comments, errors: firstPerLine(errors) }
  }
  const lines = [...children(doc, 'line'), ...children(doc, 'bareBlock')]
    .sort((a, b) => (a.location?.startOffset ?? 0) - (b.location?.startOffset ?? 0))
    .map((node) => buildTopLine(node, file))
  return { lines, comments: lexed.comments, errors: [] }
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
      /** The block's lines, or the remaining lines of a brace-less block (directives only). */
      readonly body: readonly Line[]
    }

export function isImport(line: Line): boolean {
  return line.words[0]?.text === 'import'
}

/**
 * Read top-level lines as caddy reads addresses: keys up to the end of the line, or further while
 * a key ends with a comma; then `{` (on that line or the next) or, without braces, the rest of the
 * lines as the block's directives. An `import` line in key position stays an import.
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
    const line = lines[i]!
    if (line.words.length === 0) {
      errors.push(syntax(line.block!.open, "unexpected token '{', expecting a server block key"))
      i++
      continue
    }
    // in key position caddy substitutes env before it looks for `import` (not between directives)
    if (textOf(line.words[0]!) === 'import') {
      items.push({ kind: 'import', line })
      i++
      continue
    }
    const keyLines = [line]
    let keys = keysOf(keyLines, textOf)
    while (keys.more && !keyLines.at(-1)!.block) {
      const next = lines[i + 1]
      if (next === undefined || next.words.length === 0) break
      keyLines.push(next)
      keys = keysOf(keyLines, textOf)
      i++
    }
    const last = keyLines.at(-1)!
    const next = lines[i + 1]
    const bare = !last.block && next?.words.length === 0 ? next : undefined
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
    } else {
      const rest = lines.slice(i + 1)
      for (const l of rest) if (l.words.length === 0) errors.push(misplacedBrace(l.block!.open))
      const body = rest.filter((l) => l.words.length > 0)
      items.push({ kind: 'server', keyLines, keys: keys.keys, block, body })
      i = lines.length
    }
  }
  return { items, errors }
}

/** Caddy drops empty keys (`""`, an unset variable); a trailing comma means another key follows. */
function keysOf(
  keyLines: readonly Line[],
  textOf: (t: SourceToken) => string,
): { keys: Key[]; more: boolean } {
  const keys: Key[] = []
  let more = false
  for (const token of keyLines.flatMap((l) => l.words)) {
    const text = textOf(token)
    if (text === '') continue
    more = text.endsWith(',')
    keys.push({ token, text: more ? text.slice(0, -1) : text })
  }
  return { keys, more }
}
