// The parse tree of a Go text/template, shaped like text/template/parse's nodes, and `show`,
// which prints a tree back the way Go's Tree.Root.String() does (CoreDNS uses that text as the
// `template` label of its failure metrics).

export type Node = TextNode | ActionNode | ControlNode

export interface TextNode {
  readonly kind: 'text'
  readonly text: string
}

export interface ActionNode {
  readonly kind: 'action'
  readonly pipe: Pipe
}

/** `{{if}}` and `{{with}}`; `else if` / `else with` come as a control node alone in `otherwise`. */
export interface ControlNode {
  readonly kind: 'if' | 'with'
  readonly pipe: Pipe
  readonly list: readonly Node[]
  readonly otherwise: readonly Node[] | undefined
}

export interface Pipe {
  readonly offset: number
  /** Variables declared (`$x :=`) or assigned (`$x =`) by this pipeline. */
  readonly decl: readonly VariableRef[]
  readonly assign: boolean
  readonly cmds: readonly Command[]
}

export interface Command {
  readonly offset: number
  readonly args: readonly Arg[]
}

export interface VariableRef {
  readonly name: string
  readonly offset: number
}

export type Arg =
  | { readonly kind: 'field'; readonly offset: number; readonly names: readonly string[] }
  | {
      readonly kind: 'variable'
      readonly offset: number
      readonly name: string
      readonly names: readonly string[]
    }
  | { readonly kind: 'dot'; readonly offset: number }
  | { readonly kind: 'identifier'; readonly offset: number; readonly name: string }
  | {
      readonly kind: 'string'
      readonly offset: number
      readonly value: string
      readonly quoted: string
    }
  | {
      readonly kind: 'number'
      readonly offset: number
      readonly value: bigint
      readonly text: string
    }
  | { readonly kind: 'bool'; readonly offset: number; readonly value: boolean }
  | { readonly kind: 'pipe'; readonly offset: number; readonly pipe: Pipe }
  | {
      readonly kind: 'chain'
      readonly offset: number
      readonly node: Arg
      readonly names: readonly string[]
    }

/** Go's String() of a list of nodes. */
export function show(nodes: readonly Node[]): string {
  return nodes.map(showNode).join('')
}

function showNode(n: Node): string {
  switch (n.kind) {
    case 'text':
      return n.text
    case 'action':
      return `{{${showPipe(n.pipe)}}}`
    case 'if':
    case 'with': {
      const otherwise = n.otherwise === undefined ? '' : `{{else}}${show(n.otherwise)}`
      return `{{${n.kind} ${showPipe(n.pipe)}}}${show(n.list)}${otherwise}{{end}}`
    }
  }
}

function showPipe(p: Pipe): string {
  const decl =
    p.decl.length === 0 ? '' : `${p.decl.map((v) => v.name).join(', ')} ${p.assign ? '=' : ':='} `
  return decl + p.cmds.map(showCommand).join(' | ')
}

export function showCommand(c: Command): string {
  return c.args.map((a) => (a.kind === 'pipe' ? `(${showPipe(a.pipe)})` : showArg(a))).join(' ')
}

function showArg(a: Arg): string {
  switch (a.kind) {
    case 'field':
      return `.${a.names.join('.')}`
    case 'variable':
      return [a.name, ...a.names].join('.')
    case 'dot':
      return '.'
    case 'identifier':
      return a.name
    case 'string':
      return a.quoted
    case 'number':
      return a.text
    case 'bool':
      return String(a.value)
    case 'pipe':
      return showPipe(a.pipe)
    case 'chain': {
      const base = a.node.kind === 'pipe' ? `(${showPipe(a.node.pipe)})` : showArg(a.node)
      return `${base}.${a.names.join('.')}`
    }
  }
}
