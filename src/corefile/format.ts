// `tsdns fmt`: the canonical layout of a Corefile. Only whitespace changes, never a token:
// - one line per directive, words separated by one space, written exactly as they were (quotes,
//   escapes and `{$VAR}` untouched; nothing is expanded or imported);
// - 4 spaces per nesting level; `{` ends its line (a server block's `{` moves up to its keys, and
//   a key list continued with commas is joined onto one line); words after `{` or `}` move to a
//   line of their own, except an `import` that would become one there; `}` on a line of its own,
//   unless it was written after words (`errors { stacktrace }`): an option that reads the rest of
//   its line takes it, so it stays there;
// - comments stay on their line, or before the line they preceded, indented with it;
// - a blank line between server blocks; elsewhere at most one blank line where there was one.
// Input that does not parse is refused with its errors, as the loader would report them.

import { CorefileErrors } from './errors.ts'
import { stripBom, type SourceToken } from './lexer.ts'
import { groupServerBlocks, parseCorefile, type Block, type Line } from './parser.ts'

interface Row {
  readonly indent: number
  readonly text: string
  /** Source lines the row came from. */
  readonly first: number
  readonly last: number
  readonly kind: 'line' | 'server' | 'open' | 'close' | 'comment'
}

export function formatCorefile(text: string, file = 'Corefile'): string {
  const parsed = parseCorefile(stripBom(text), file)
  if (parsed.errors.length > 0) throw new CorefileErrors(parsed.errors)
  const { items, errors } = groupServerBlocks(parsed.lines, (t) => t.text)
  if (errors.length > 0) throw new CorefileErrors(errors)

  const rows: Row[] = []
  for (const item of items) {
    if (item.kind === 'import') {
      rows.push(...lineRows([item.line], 0))
      continue
    }
    const { block } = item
    const [row, ...more] = keyRows(item.keyLines.flatMap((l) => l.words), block)
    // `} import x`: keys for caddy, so they stay on the `}` row
    if (staysOnBraceRow(item.keyLines[0]!)) rows.push(joined(rows.pop()!, row!, 'close'))
    else rows.push(row!)
    rows.push(...more)
    if (block) rows.push(...closed(block, lineRows(block.lines, 1), 0))
    else rows.push(...lineRows(item.body, 0), ...(item.close ? [close(item.close, 0)] : []))
  }
  return render(withComments(rows, parsed.comments))
}

/**
 * A server block's keys and its `{`: one row, but a `}` key after a comma starts a row of its own
 * (after words it would close nothing). A block without keys starts with its `{`.
 */
function keyRows(keys: readonly SourceToken[], block: Block | undefined): Row[] {
  const groups: SourceToken[][] = []
  for (const key of keys) {
    const brace = key.text === '}' && !key.quoted
    if (brace || groups.length === 0) groups.push([key])
    else groups.at(-1)!.push(key)
  }
  if (block && groups.length === 0) groups.push([block.open])
  else if (block) groups.at(-1)!.push(block.open)
  return groups.map((tokens) => ({
    indent: 0,
    text: words(tokens),
    first: tokens[0]!.line,
    last: tokens.at(-1)!.endLine,
    kind: 'server',
  }))
}

function lineRows(lines: readonly Line[], indent: number): Row[] {
  return lines.flatMap((line) => {
    const { block } = line
    const head: Row = {
      indent,
      text: words(line.words) + (block ? ` ${written(block.open)}` : ''),
      first: line.words[0]!.line,
      last: block?.open.line ?? line.words.at(-1)!.endLine,
      kind: block ? 'open' : 'line',
    }
    if (!block) return [head]
    const inner = lineRows(block.lines, indent + 1)
    // `{ import x` in a directive's block: a property for caddy, so it stays on the `{` row
    if (staysOnBraceRow(block.lines[0])) inner.unshift(joined(head, inner.shift()!, 'open'))
    else inner.unshift(head)
    return closed(block, inner, indent)
  })
}

/** A block's rows and its `}`: on the last row if it was written on that line. */
function closed(block: Block, rows: Row[], indent: number): Row[] {
  const brace = close(block.close, indent)
  if (!block.lines.at(-1)?.closes) return [...rows, brace]
  return [...rows.slice(0, -1), joined(rows.at(-1)!, brace, 'close')]
}

/** A line written after a brace that would read as an import on a line of its own. */
function staysOnBraceRow(line: Line | undefined): boolean {
  const first = line?.follows ? line.words[0]?.text : undefined
  return first !== undefined && (first === 'import' || /\{[$%]/.test(first))
}

/** Two rows as one, at the first one's indent. */
function joined(a: Row, b: Row, kind: Row['kind']): Row {
  return { indent: a.indent, text: `${a.text} ${b.text}`, first: a.first, last: b.last, kind }
}

function close(brace: SourceToken, indent: number): Row {
  return { indent, text: written(brace), first: brace.line, last: brace.line, kind: 'close' }
}

function words(tokens: readonly SourceToken[]): string {
  return tokens.map(written).join(' ')
}

/** As written; outside quotes a '\r' is not part of the token (the lexer drops it too). */
function written(t: SourceToken): string {
  return t.quoted ? t.raw : t.raw.replaceAll('\r', '')
}

/**
 * A comment on a row's source lines trails that row; any other comment goes on a line of its own
 * before the next row, indented like it (inside the block when that row closes the block).
 */
function withComments(rows: readonly Row[], comments: readonly SourceToken[]): Row[] {
  const trailing = new Map<Row, string[]>()
  const before = new Map<Row | undefined, Row[]>()
  for (const c of comments) {
    const text = c.raw.replace(/\s+$/u, '')
    // the last row on the comment's line: `} b {` and `{ x` give two rows one line
    const owner = rows.findLast((r) => r.first <= c.line && c.line <= r.last)
    if (owner) {
      trailing.set(owner, [...(trailing.get(owner) ?? []), text])
      continue
    }
    const next = rows.find((r) => r.first > c.line)
    const indent = next === undefined ? 0 : next.kind === 'close' ? next.indent + 1 : next.indent
    const row: Row = { indent, text, first: c.line, last: c.line, kind: 'comment' }
    before.set(next, [...(before.get(next) ?? []), row])
  }
  const withTrailing = (r: Row): Row => {
    const texts = trailing.get(r)
    return texts ? { ...r, text: `${r.text} ${texts.join(' ')}` } : r
  }
  return [
    ...rows.flatMap((r) => [...(before.get(r) ?? []), withTrailing(r)]),
    ...(before.get(undefined) ?? []),
  ]
}

function render(rows: readonly Row[]): string {
  const blank = rows.map((row, i) => {
    const previous = rows[i - 1]
    if (previous === undefined || row.kind === 'close') return false
    return previous.kind !== 'open' && previous.kind !== 'server' && row.first - previous.last > 1
  })
  // a blank line before every server block but the first, above the comments written right on it
  const commentOnTop = (i: number) => rows[i - 1]?.kind === 'comment' && rows[i - 1]?.indent === 0
  rows.forEach((row, i) => {
    if (row.kind !== 'server') return
    let start = i
    while (commentOnTop(start) && !blank[start]) start--
    if (start > 0) blank[start] = true
  })
  const out = rows.map((row, i) => `${blank[i] ? '\n' : ''}${'    '.repeat(row.indent)}${row.text}`)
  return out.length > 0 ? `${out.join('\n')}\n` : ''
}
