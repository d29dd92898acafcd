// Static types for template data. Go checks fields, function arguments and comparisons only
// while executing; tsdns knows the shape of the data in advance, so it checks them when the
// Corefile is parsed and a typo is a located error instead of a SERVFAIL at query time.
//
// Runtime values: string, bigint (every Go integer), boolean, arrays (slices), ReadonlyMap
// (map[string]T), plain objects (structs, read by field name) and undefined (a missing map key,
// Go's invalid reflect.Value, printed as "<no value>").

export type Type =
  | { readonly kind: 'string' }
  | { readonly kind: 'int' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'list'; readonly name: string; readonly elem: Type }
  | {
      readonly kind: 'map'
      readonly name: string
      readonly elem: Type
      /** When known, the only keys the map can have, and why a field outside them is an error. */
      readonly keys?: ReadonlySet<string>
      readonly unknownKey?: string
    }
  | {
      readonly kind: 'struct'
      readonly name: string
      readonly fields: Readonly<Record<string, Type>>
      /** How Go prints a value of this type (its String method); absent: it cannot be printed. */
      readonly print?: (v: Value) => string
    }

export type Value =
  string | bigint | boolean | undefined | readonly Value[] | ReadonlyMap<string, Value> | object

export const STRING: Type = { kind: 'string' }
export const INT: Type = { kind: 'int' }
export const BOOL: Type = { kind: 'bool' }

/** Go's name of a type, for messages. */
export function typeName(t: Type): string {
  return t.kind === 'string' || t.kind === 'int' || t.kind === 'bool' ? t.kind : t.name
}

export function sameType(a: Type, b: Type): boolean {
  return a === b || (a.kind === b.kind && typeName(a) === typeName(b))
}

/** Whether `print` can render values of this type. */
export function printable(t: Type): boolean {
  switch (t.kind) {
    case 'list':
    case 'map':
      return printable(t.elem)
    case 'struct':
      return t.print !== undefined
    default:
      return true
  }
}

/** fmt's %v of a value (text/template's printValue). */
export function format(v: Value, t: Type): string {
  if (v === undefined) return '<no value>'
  switch (t.kind) {
    case 'string':
      return v as string
    case 'int':
    case 'bool':
      return String(v)
    case 'list':
      return `[${(v as readonly Value[]).map((e) => format(e, t.elem)).join(' ')}]`
    case 'map': {
      const m = v as ReadonlyMap<string, Value>
      const keys = [...m.keys()].sort()
      return `map[${keys.map((k) => `${k}:${format(m.get(k), t.elem)}`).join(' ')}]`
    }
    case 'struct':
      return t.print!(v)
  }
}

/** text/template's isTrue: the zero value of its type is false. */
export function truth(v: Value, t: Type): boolean {
  if (v === undefined) return false
  switch (t.kind) {
    case 'string':
      return v !== ''
    case 'int':
      return v !== 0n
    case 'bool':
      return v as boolean
    case 'list':
      return (v as readonly Value[]).length > 0
    case 'map':
      return (v as ReadonlyMap<string, Value>).size > 0
    case 'struct':
      return true
  }
}
