// Type-checks a parse tree against the data's static type and turns it into plain functions,
// built once when the Corefile is read; executing a template is then a walk of calls with no
// parsing, no lookups by name and no type tests. Variables get fixed slots at compile time.

import { type Arg, type Command, type Node, type Pipe, showCommand } from './ast.ts'
import { TemplateSyntaxError } from './lex.ts'
import { funcs, printCheck, UNSUPPORTED_FUNCS } from './funcs.ts'
import { checkFormat, parseFormat, sprintf } from './printf.ts'
import {
  BOOL,
  format,
  INT,
  printable,
  sameType,
  STRING,
  truth,
  type Type,
  typeName,
} from './types.ts'
import type { Value } from './types.ts'

/** A failure while executing: Go's "template: NAME:LINE:COL: executing ..." message. */
export class TemplateExecError extends Error {
  override name = 'TemplateExecError'
}

interface Env {
  dot: Value
  readonly vars: Value[]
}

type Eval = (env: Env) => Value

interface Expr {
  readonly type: Type
  readonly eval: Eval
}

type Step = (env: Env) => string

interface Var {
  readonly slot: number
  readonly type: Type
}

export type Run = (data: Value) => string

export function compile(nodes: readonly Node[], root: Type, name: string, src: string): Run {
  const c = new Compiler(root, name, src)
  const run = c.list(nodes)
  const slots = c.slots
  return (data) => run({ dot: data, vars: [data, ...new Array<Value>(slots - 1)] })
}

class Compiler {
  readonly #name: string
  readonly #src: string
  readonly #scopes: Map<string, Var>[]
  #dot: Type
  slots = 1

  constructor(root: Type, name: string, src: string) {
    this.#name = name
    this.#src = src
    this.#dot = root
    this.#scopes = [new Map([['$', { slot: 0, type: root }]])]
  }

  list(nodes: readonly Node[]): Step {
    const steps = nodes.map((n) => this.#node(n))
    if (steps.length === 1) return steps[0]!
    return (env) => {
      let out = ''
      for (const s of steps) out += s(env)
      return out
    }
  }

  #node(n: Node): Step {
    switch (n.kind) {
      case 'text': {
        const text = n.text
        return () => text
      }
      case 'action': {
        const e = this.#pipe(n.pipe)
        if (n.pipe.decl.length > 0) return (env) => (e.eval(env), '')
        if (!printable(e.type)) {
          throw new TemplateSyntaxError(
            `printing a ${typeName(e.type)} is not supported by tsdns`,
            n.pipe.offset,
          )
        }
        const t = e.type
        return (env) => format(e.eval(env), t)
      }
      case 'if':
      case 'with':
        return this.#control(n.kind, n.pipe, n.list, n.otherwise)
    }
  }

  #control(
    kind: 'if' | 'with',
    pipe: Pipe,
    list: readonly Node[],
    otherwise: readonly Node[] | undefined,
  ): Step {
    this.#scopes.push(new Map())
    try {
      const cond = this.#pipe(pipe)
      const t = cond.type
      const outer = this.#dot
      if (kind === 'with') this.#dot = t
      const then = this.list(list)
      this.#dot = outer
      const orElse = otherwise === undefined ? () => '' : this.list(otherwise)
      if (kind === 'if') return (env) => (truth(cond.eval(env), t) ? then(env) : orElse(env))
      return (env) => {
        const v = cond.eval(env)
        if (!truth(v, t)) return orElse(env)
        const saved = env.dot
        env.dot = v
        try {
          return then(env)
        } finally {
          env.dot = saved
        }
      }
    } finally {
      this.#scopes.pop()
    }
  }

  #pipe(p: Pipe): Expr {
    let e: Expr | undefined
    for (const cmd of p.cmds) e = this.#command(cmd, e)
    const value = e!
    if (p.decl.length === 0) return value
    const v = p.decl[0]!
    let target: Var
    if (p.assign) {
      target = this.#lookup(v.name, v.offset)
      if (!sameType(target.type, value.type)) {
        throw new TemplateSyntaxError(
          `cannot assign a ${typeName(value.type)} to ${v.name} (a ${typeName(target.type)})`,
          v.offset,
          v.name.length,
        )
      }
    } else {
      target = { slot: this.slots++, type: value.type }
      this.#scopes.at(-1)!.set(v.name, target)
    }
    const slot = target.slot
    return {
      type: value.type,
      eval: (env) => (env.vars[slot] = value.eval(env)),
    }
  }

  #lookup(name: string, offset: number): Var {
    for (let i = this.#scopes.length - 1; i >= 0; i--) {
      const v = this.#scopes[i]!.get(name)
      if (v) return v
    }
    throw new TemplateSyntaxError(`undefined variable "${name}"`, offset, name.length)
  }

  /** One pipeline stage; `final` is the previous stage's value, passed as the last argument. */
  #command(cmd: Command, final: Expr | undefined): Expr {
    const first = cmd.args[0]!
    if (first.kind === 'identifier') {
      const args = cmd.args.slice(1).map((a) => this.#arg(a))
      if (final) args.push(final)
      return this.#call(first.name, first.offset, cmd, args)
    }
    if (cmd.args.length > 1 || final) {
      throw new TemplateSyntaxError(
        `can't give argument to non-function ${showCommand({ ...cmd, args: [first] })}`,
        first.offset,
      )
    }
    return this.#arg(first)
  }

  #arg(a: Arg): Expr {
    switch (a.kind) {
      case 'dot': {
        return { type: this.#dot, eval: (env) => env.dot }
      }
      case 'field':
        return this.#fields({ type: this.#dot, eval: (env) => env.dot }, a.names, a.offset)
      case 'variable': {
        const { slot, type } = this.#lookup(a.name, a.offset)
        return this.#fields({ type, eval: (env) => env.vars[slot] }, a.names, a.offset)
      }
      case 'identifier':
        // a function named as an argument is called without arguments, as in Go
        return this.#call(a.name, a.offset, { offset: a.offset, args: [a] }, [])
      case 'string': {
        const v = a.value
        return { type: STRING, eval: () => v }
      }
      case 'number': {
        const v = a.value
        return { type: INT, eval: () => v }
      }
      case 'bool': {
        const v = a.value
        return { type: BOOL, eval: () => v }
      }
      case 'pipe':
        return this.#pipe(a.pipe)
      case 'chain':
        return this.#fields(this.#arg(a.node), a.names, a.offset)
    }
  }

  #fields(base: Expr, names: readonly string[], offset: number): Expr {
    let e = base
    for (const name of names) {
      const t = e.type
      const from = e.eval
      const at = this.#src.indexOf(`.${name}`, offset)
      const where = at === -1 ? offset : at
      if (t.kind === 'struct') {
        const ft = t.fields[name]
        if (ft === undefined) {
          throw new TemplateSyntaxError(
            `can't evaluate field ${name} in type ${t.name}`,
            where,
            name.length + 1,
          )
        }
        e = {
          type: ft,
          eval: (env) => {
            const v = from(env)
            if (v === undefined) {
              throw this.#fail(where, `.${name}`, `nil pointer evaluating ${t.name}.${name}`)
            }
            return (v as Record<string, Value>)[name]
          },
        }
      } else if (t.kind === 'map') {
        if (t.keys !== undefined && !t.keys.has(name)) {
          throw new TemplateSyntaxError(
            t.unknownKey?.replace('%s', name) ?? `map has no key ${name}`,
            where,
            name.length + 1,
          )
        }
        e = {
          type: t.elem,
          eval: (env) => (from(env) as ReadonlyMap<string, Value> | undefined)?.get(name),
        }
      } else {
        throw new TemplateSyntaxError(
          `can't evaluate field ${name} in type ${typeName(t)}`,
          where,
          name.length + 1,
        )
      }
    }
    return e
  }

  #call(name: string, offset: number, cmd: Command, args: Expr[]): Expr {
    const types = args.map((a) => a.type)
    const evals = args.map((a) => a.eval)
    const fail = (why: string): TemplateSyntaxError =>
      new TemplateSyntaxError(why, offset, name.length)
    const at = showCommand(cmd)
    if (name === 'and' || name === 'or') {
      if (args.length === 0) throw fail(`wrong number of args for ${name}: want at least 1 got 0`)
      const mixed = types.find((t) => !sameType(t, types[0]!))
      if (mixed) {
        const both = `${typeName(types[0]!)}, ${typeName(mixed)}`
        throw fail(`${name} arguments of different types (${both}) are not supported by tsdns`)
      }
      const t = types[0]!
      const stopOn = name === 'or'
      // evaluated lazily, as Go does: the first argument that decides the result is returned
      return {
        type: t,
        eval: (env) => {
          let v: Value
          for (const ev of evals) {
            v = ev(env)
            if (truth(v, t) === stopOn) return v
          }
          return v
        },
      }
    }
    if (name === 'printf') return this.#printf(cmd, args, offset)
    if (name === 'print' || name === 'println') {
      const checked = printCheck(name, types)
      if (typeof checked === 'string') throw fail(checked)
      const ln = name === 'println'
      return {
        type: STRING,
        eval: (env) => {
          const vs = this.#values(env, evals, at, offset)
          let out = ''
          for (let i = 0; i < vs.length; i++) {
            // Sprint: a space between operands when neither is a string; Sprintln: always
            const strings = types[i - 1]?.kind === 'string' || types[i]!.kind === 'string'
            if (i > 0 && (ln || !strings)) out += ' '
            out += format(vs[i], types[i]!)
          }
          return ln ? `${out}\n` : out
        },
      }
    }
    const fn = funcs.get(name)
    if (fn === undefined) {
      throw fail(
        UNSUPPORTED_FUNCS.has(name)
          ? `function "${name}" is not supported by tsdns`
          : `function "${name}" not defined`,
      )
    }
    const result = fn.check(types)
    if (typeof result === 'string') throw fail(result)
    const lenient = name === 'not'
    return {
      type: result,
      eval: (env) => {
        const vs = lenient ? [evals[0]!(env)] : this.#values(env, evals, at, offset)
        try {
          return fn.call(vs, types)
        } catch (err) {
          throw this.#fail(offset, at, `error calling ${name}: ${(err as Error).message}`)
        }
      },
    }
  }

  #printf(cmd: Command, args: Expr[], offset: number): Expr {
    const f = cmd.args[1]
    if (f === undefined || f.kind !== 'string') {
      throw new TemplateSyntaxError(
        'printf needs a constant format string in tsdns',
        f?.offset ?? offset,
      )
    }
    const parsed = parseFormat(f.value)
    if ('error' in parsed) throw new TemplateSyntaxError(parsed.error, f.offset, f.quoted.length)
    const rest = args.slice(1)
    const types = rest.map((a) => a.type)
    const bad = checkFormat(parsed, types)
    if (bad) throw new TemplateSyntaxError(bad, f.offset, f.quoted.length)
    const evals = rest.map((a) => a.eval)
    const at = showCommand(cmd)
    return {
      type: STRING,
      eval: (env) => sprintf(parsed, this.#values(env, evals, at, offset), types),
    }
  }

  /** Arguments for a call; a missing map value cannot be passed (Go: "invalid value"). */
  #values(env: Env, evals: readonly Eval[], at: string, offset: number): Value[] {
    const vs: Value[] = []
    for (const ev of evals) {
      const v = ev(env)
      if (v === undefined)
        throw this.#fail(offset, at, 'invalid value; a map has no entry for this key')
      vs.push(v)
    }
    return vs
  }

  #fail(offset: number, at: string, why: string): TemplateExecError {
    const before = this.#src.slice(0, offset)
    const line = before.split('\n').length
    const col = offset - before.lastIndexOf('\n')
    return new TemplateExecError(
      `template: ${this.#name}:${line}:${col}: executing "${this.#name}" at <${at}>: ${why}`,
    )
  }
}
