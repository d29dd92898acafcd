// Go-style flags as CoreDNS takes them: -name value, -name=value, --name; booleans bare.

export interface FlagSpec {
  readonly names: readonly string[]
  readonly bool?: boolean
}

export class FlagError extends Error {
  override name = 'FlagError'
}

export function parseFlags(
  argv: readonly string[],
  specs: Record<string, FlagSpec>,
): { values: Map<string, string>; rest: string[] } {
  const byName = new Map<string, string>()
  for (const [key, s] of Object.entries(specs)) for (const n of s.names) byName.set(n, key)
  const values = new Map<string, string>()
  const rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('-') || a === '-') {
      rest.push(a)
      continue
    }
    if (a === '--') {
      rest.push(...argv.slice(i + 1))
      break
    }
    const body = a.replace(/^--?/, '')
    const eq = body.indexOf('=')
    const name = eq < 0 ? body : body.slice(0, eq)
    const key = byName.get(name)
    if (key === undefined) throw new FlagError(`flag provided but not defined: -${name}`)
    if (specs[key]!.bool) {
      const v = eq < 0 ? 'true' : goBool(body.slice(eq + 1))
      if (v === undefined) {
        throw new FlagError(`invalid boolean value "${body.slice(eq + 1)}" for -${name}: parse error`)
      }
      values.set(key, v)
    } else if (eq >= 0) {
      values.set(key, body.slice(eq + 1))
    } else {
      const v = argv[++i]
      if (v === undefined) throw new FlagError(`flag needs an argument: -${name}`)
      values.set(key, v)
    }
  }
  return { values, rest }
}

/** Go's strconv.ParseBool, as flag reads `-skipteardown=1`: the spelling stored is true/false. */
function goBool(v: string): 'true' | 'false' | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return 'true'
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return 'false'
  return undefined
}
