import type { Directive } from '../../src/corefile/ast.ts'
import { args, unknownProperty } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { COMBINED_FORMAT, COMMON_FORMAT, compileFormat } from './format.ts'
import { flush, LogHandler, type Rule } from './log.ts'
import type { ResponseClass } from '../../src/dns/response.ts'

const CLASSES = new Set(['all', 'success', 'denial', 'error'])

function fqdn(name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower : `${lower}.`
}

/** `class` lines of one stanza; undefined when none is given or one says `all`. */
function parseClasses(d: Directive): ReadonlySet<ResponseClass> | undefined {
  const classes = new Set<string>()
  for (const opt of d.block ?? []) {
    if (opt.name.text !== 'class') throw unknownProperty(opt, 'log')
    for (const t of args(opt, 1, Infinity, 'log')) {
      if (!CLASSES.has(t.text)) {
        throw new CorefileError(
          'COREFILE_VALUE',
          t,
          `invalid Class: ${t.text}, expecting all, success, denial or error`,
          'log',
        )
      }
      classes.add(t.text)
    }
  }
  if (classes.size === 0 || classes.has('all')) return undefined
  return classes as Set<ResponseClass>
}

/**
 * `log [NAMES...] [FORMAT] { class CLASSES... }` as CoreDNS reads it: one argument is always a
 * name; with two or more, the last is the format when it contains '{'.
 */
export function parseLog(stanzas: readonly Directive[]): Rule[] {
  const rules: Rule[] = []
  for (const d of stanzas) {
    let names = d.args.map((t) => t.text)
    let format = COMMON_FORMAT
    const last = names.at(-1)
    if (names.length >= 2 && last !== undefined && last.includes('{')) {
      format = last === '{common}' ? COMMON_FORMAT : last === '{combined}' ? COMBINED_FORMAT : last
      names = names.slice(0, -1)
    }
    if (names.length === 0) names = ['.']
    const compiled = compileFormat(format)
    const classes = parseClasses(d)
    for (const name of names) rules.push({ scope: fqdn(name), format: compiled, classes })
  }
  return rules
}

export default definePlugin<Rule[]>({
  name: 'log',
  parse: parseLog,
  setup(rules, ctx) {
    ctx.onShutdown(flush)
    return (next) => new LogHandler(rules, next)
  },
})
