// The parser of Go's text/template (text/template/parse/parse.go) for the subset tsdns runs:
// text, actions with pipelines and variable declarations, `if`/`else if`/`else`/`end` and
// `with`. Constructs Go has but tsdns does not (range, define, template, block, break, continue,
// character constants, nil, non-integer numbers) are refused here, at Corefile parse time.

import type { Arg, Command, ControlNode, Node, Pipe, VariableRef } from './ast.ts'
import { type Item, lex, TemplateSyntaxError } from './lex.ts'

const UNSUPPORTED_KEYWORDS = new Set(['range', 'define', 'template', 'block', 'break', 'continue'])
const KEYWORDS = new Set(['if', 'else', 'end', 'with', ...UNSUPPORTED_KEYWORDS])

type Stop = 'else' | 'end' | 'eof'

export function parse(src: string): Node[] {
  const p = new Parser(lex(src))
  const { nodes, stop } = p.list()
  if (stop.kind !== 'eof')
    throw new TemplateSyntaxError(`unexpected {{${stop.kind}}}`, stop.offset, 4)
  return nodes
}

class Parser {
  readonly #items: readonly Item[]
  #pos = 0

  constructor(items: readonly Item[]) {
    this.#items = items
  }

  #peek(): Item {
    return this.#items[this.#pos]!
  }

  #next(): Item {
    return this.#items[this.#pos++]!
  }

  #peekNonSpace(): Item {
    while (this.#peek().kind === 'space') this.#pos++
    return this.#peek()
  }

  #nextNonSpace(): Item {
    this.#peekNonSpace()
    return this.#next()
  }

  /** Nodes up to `{{else}}`, `{{end}}` or the end of the template. */
  list(): { nodes: Node[]; stop: { kind: Stop; offset: number } } {
    const nodes: Node[] = []
    for (;;) {
      const item = this.#next()
      if (item.kind === 'eof') return { nodes, stop: { kind: 'eof', offset: item.offset } }
      if (item.kind === 'text') {
        nodes.push({ kind: 'text', text: item.text })
        continue
      }
      // item is '{{'
      const word = this.#peekNonSpace()
      if (word.kind === 'identifier' && KEYWORDS.has(word.text)) {
        this.#next()
        switch (word.text) {
          case 'if':
          case 'with':
            nodes.push(this.#control(word.text))
            continue
          case 'end':
            this.#expectClose('end')
            return { nodes, stop: { kind: 'end', offset: word.offset } }
          case 'else':
            // `else if` / `else with`: leave the keyword for the caller to parse
            if (!this.#isElseChain()) this.#expectClose('else')
            return { nodes, stop: { kind: 'else', offset: word.offset } }
          default:
            throw new TemplateSyntaxError(
              `{{${word.text}}} is not supported by tsdns`,
              word.offset,
              word.text.length,
            )
        }
      }
      nodes.push({ kind: 'action', pipe: this.#pipeline('command', 'close') })
    }
  }

  #isElseChain(): boolean {
    const next = this.#peekNonSpace()
    return next.kind === 'identifier' && (next.text === 'if' || next.text === 'with')
  }

  #expectClose(context: string): void {
    const t = this.#nextNonSpace()
    if (t.kind !== 'close') throw unexpected(t, context)
  }

  #control(kind: 'if' | 'with'): ControlNode {
    const pipe = this.#pipeline(kind, 'close')
    const body = this.list()
    let otherwise: Node[] | undefined
    if (body.stop.kind === 'else') {
      const chained = this.#peekNonSpace()
      if (chained.kind === 'identifier' && chained.text === kind) {
        this.#next()
        otherwise = [this.#control(kind)]
      } else if (
        chained.kind === 'identifier' &&
        (chained.text === 'if' || chained.text === 'with')
      ) {
        throw new TemplateSyntaxError(`{{else ${chained.text}}} inside {{${kind}}}`, chained.offset)
      } else {
        const rest = this.list()
        if (rest.stop.kind !== 'end') throw expectedEnd(rest.stop)
        otherwise = rest.nodes
      }
    } else if (body.stop.kind !== 'end') {
      throw expectedEnd(body.stop)
    }
    return { kind, pipe, list: body.nodes, otherwise }
  }

  #pipeline(context: string, end: 'close' | 'rparen'): Pipe {
    const offset = this.#peekNonSpace().offset
    const decl: VariableRef[] = []
    let assign = false
    const v = this.#peekNonSpace()
    if (v.kind === 'variable') {
      const at = this.#pos
      this.#next()
      const op = this.#peekNonSpace()
      if (op.kind === 'declare' || op.kind === 'assign') {
        this.#next()
        assign = op.kind === 'assign'
        decl.push({ name: v.text, offset: v.offset })
      } else if (op.kind === 'comma') {
        throw new TemplateSyntaxError(`too many declarations in ${context}`, op.offset)
      } else {
        this.#pos = at
      }
    }
    const cmds: Command[] = []
    for (;;) {
      const t = this.#peekNonSpace()
      if (t.kind === end) {
        this.#next()
        break
      }
      if (!startsOperand(t)) throw unexpected(t, context)
      cmds.push(this.#command())
    }
    if (cmds.length === 0) throw new TemplateSyntaxError(`missing value for ${context}`, offset)
    for (let i = 1; i < cmds.length; i++) {
      const first = cmds[i]!.args[0]!
      if (
        first.kind === 'bool' ||
        first.kind === 'dot' ||
        first.kind === 'number' ||
        first.kind === 'string'
      ) {
        throw new TemplateSyntaxError(
          `non executable command in pipeline stage ${i + 1}`,
          first.offset,
        )
      }
    }
    return { offset, decl, assign, cmds }
  }

  #command(): Command {
    const offset = this.#peekNonSpace().offset
    const args: Arg[] = []
    for (;;) {
      this.#peekNonSpace()
      const operand = this.#operand()
      if (operand !== undefined) args.push(operand)
      const t = this.#next()
      if (t.kind === 'space') continue
      if (t.kind === 'close' || t.kind === 'rparen') this.#pos--
      else if (t.kind !== 'pipe') throw unexpected(t, 'operand')
      break
    }
    if (args.length === 0) throw new TemplateSyntaxError('empty command', offset)
    return { offset, args }
  }

  #operand(): Arg | undefined {
    const node = this.#term()
    if (node === undefined || this.#peek().kind !== 'field') return node
    const names: string[] = []
    while (this.#peek().kind === 'field') names.push(this.#next().text.slice(1))
    switch (node.kind) {
      case 'field':
      case 'variable':
        return { ...node, names: [...node.names, ...names] }
      case 'bool':
      case 'string':
      case 'number':
      case 'dot':
        throw new TemplateSyntaxError(
          `unexpected . after term '${node.kind === 'dot' ? '.' : text(node)}'`,
          node.offset,
        )
      default:
        return { kind: 'chain', offset: node.offset, node, names }
    }
  }

  #term(): Arg | undefined {
    const t = this.#nextNonSpace()
    switch (t.kind) {
      case 'identifier':
        if (KEYWORDS.has(t.text)) break
        return { kind: 'identifier', offset: t.offset, name: t.text }
      case 'dot':
        return { kind: 'dot', offset: t.offset }
      case 'variable':
        return { kind: 'variable', offset: t.offset, name: t.text, names: [] }
      case 'field':
        return { kind: 'field', offset: t.offset, names: [t.text.slice(1)] }
      case 'bool':
        return { kind: 'bool', offset: t.offset, value: t.text === 'true' }
      case 'number':
        return { kind: 'number', offset: t.offset, value: integer(t), text: t.text }
      case 'string':
        return { kind: 'string', offset: t.offset, value: unquote(t), quoted: t.text }
      case 'lparen':
        return {
          kind: 'pipe',
          offset: t.offset,
          pipe: this.#pipeline('parenthesized pipeline', 'rparen'),
        }
      case 'nil':
        throw new TemplateSyntaxError('nil is not supported by tsdns', t.offset, 3)
      case 'char':
        throw new TemplateSyntaxError(
          'character constants are not supported by tsdns',
          t.offset,
          t.text.length,
        )
    }
    this.#pos--
    return undefined
  }
}

function startsOperand(t: Item): boolean {
  return [
    'bool',
    'char',
    'dot',
    'field',
    'identifier',
    'number',
    'nil',
    'string',
    'variable',
    'lparen',
  ].includes(t.kind)
}

function text(a: Arg): string {
  return a.kind === 'string'
    ? a.quoted
    : a.kind === 'number'
      ? a.text
      : a.kind === 'bool'
        ? String(a.value)
        : ''
}

function unexpected(t: Item, context: string): TemplateSyntaxError {
  const what = t.kind === 'eof' ? 'EOF' : t.kind === 'close' ? '"}}"' : `"${t.text}"`
  return new TemplateSyntaxError(`unexpected ${what} in ${context}`, t.offset, t.text.length)
}

function expectedEnd(stop: { kind: Stop; offset: number }): TemplateSyntaxError {
  return stop.kind === 'eof'
    ? new TemplateSyntaxError('unexpected EOF, expecting {{end}}', stop.offset)
    : new TemplateSyntaxError(`expected {{end}}; found {{${stop.kind}}}`, stop.offset)
}

const INT =
  /^[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?[0-7])*|[1-9](?:_?[0-9])*)$/
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/** Go's newNumber for the integer case; an integral float such as 1e3 is an integer too. */
function integer(t: Item): bigint {
  const s = t.text
  if (INT.test(s)) {
    const neg = s.startsWith('-')
    let digits = s.replace(/^[+-]/, '').replaceAll('_', '')
    // a leading 0 means octal in Go
    if (/^0[0-7]+$/.test(digits)) digits = `0o${digits.slice(1)}`
    const v = BigInt(digits)
    return neg ? -v : v
  }
  if (FLOAT.test(s)) {
    const f = Number(s)
    if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) return BigInt(f)
    throw new TemplateSyntaxError(
      `non-integer number ${s} is not supported by tsdns`,
      t.offset,
      s.length,
    )
  }
  throw new TemplateSyntaxError(`bad number syntax: '${s}'`, t.offset, s.length)
}

const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
}

/** Go's strconv.Unquote for "..." and `...` strings. */
function unquote(t: Item): string {
  const s = t.text
  if (s.startsWith('`')) return s.slice(1, -1).replaceAll('\r', '')
  const body = s.slice(1, -1)
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!
    if (c !== '\\') {
      out += c
      continue
    }
    const e = body[++i] ?? ''
    const simple = ESCAPES[e]
    if (simple !== undefined) {
      out += simple
      continue
    }
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0
    if (hex > 0 && new RegExp(`^[0-9a-fA-F]{${hex}}`).test(body.slice(i + 1))) {
      const code = parseInt(body.slice(i + 1, i + 1 + hex), 16)
      if (code <= 0x10ffff) {
        out += String.fromCodePoint(code)
        i += hex
        continue
      }
    }
    if (/^[0-7]{3}$/.test(body.slice(i, i + 3)) && parseInt(body.slice(i, i + 3), 8) <= 255) {
      out += String.fromCharCode(parseInt(body.slice(i, i + 3), 8))
      i += 2
      continue
    }
    throw new TemplateSyntaxError(`invalid escape '\\${e}' in string`, t.offset + i, 2)
  }
  return out
}
