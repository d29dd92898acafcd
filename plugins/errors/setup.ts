import { RE2JS } from 're2js'
import type { Directive, Token } from '../../src/corefile/ast.ts'
import { args, duration, nextArgs, options, unknownProperty } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import {
  Consolidator,
  ErrorsHandler,
  type ConsolidateLevel,
  type ConsolidateRule,
  type ErrorsConfig,
} from './errors.ts'

/** CoreDNS refuses longer consolidate patterns. */
const MAX_REGEXP_LENGTH = 10_000

const LEVELS: Readonly<Record<string, ConsolidateLevel>> = {
  warning: 'WARNING',
  error: 'ERROR',
  info: 'INFO',
  debug: 'DEBUG',
}

function regexp(t: Token): RE2JS {
  if (t.text.length > MAX_REGEXP_LENGTH) {
    const detail = `regex pattern too long: ${t.text.length} characters (max ${MAX_REGEXP_LENGTH})`
    throw new CorefileError('COREFILE_VALUE', t, detail, 'errors')
  }
  try {
    return RE2JS.compile(t.text)
  } catch (err) {
    throw new CorefileError('COREFILE_VALUE', t, (err as Error).message, 'errors')
  }
}

/** `consolidate DURATION REGEXP [LEVEL] [show_first]` */
function parseConsolidate(d: Directive): ConsolidateRule {
  const [period, re, ...options] = args(d, 2, 4, 'errors')
  let level: ConsolidateLevel | undefined
  let showFirst = false
  for (const t of options) {
    const l = LEVELS[t.text]
    if (l !== undefined) {
      if (level !== undefined) {
        throw new CorefileError(
          'COREFILE_VALUE',
          t,
          'multiple log levels specified in consolidate',
          'errors',
        )
      }
      level = l
    } else if (t.text === 'show_first') {
      showFirst = true
    } else {
      const detail =
        `unknown option in consolidate: ${t.text}, ` +
        'expecting warning, error, info, debug or show_first'
      throw new CorefileError('COREFILE_VALUE', t, detail, 'errors')
    }
  }
  return {
    periodMs: duration(period!, 'errors'),
    re: regexp(re!),
    level: level ?? 'ERROR',
    showFirst,
  }
}

export function parseErrors(stanzas: readonly Directive[]): ErrorsConfig {
  const d = stanzas[0]!
  const [file] = args(d, 0, 1, 'errors')
  if (file !== undefined && file.text !== 'stdout') {
    throw new CorefileError(
      'COREFILE_VALUE',
      file,
      `invalid log file: ${file.text}, only stdout is supported`,
      'errors',
    )
  }
  let stacktrace = false
  const consolidate: ConsolidateRule[] = []
  for (const opt of options(d.block)) {
    switch (opt.name.text) {
      case 'stacktrace':
        nextArgs(opt, 0, 'errors')
        stacktrace = true
        break
      case 'consolidate':
        consolidate.push(parseConsolidate(opt))
        break
      default:
        throw unknownProperty(opt, 'errors')
    }
  }
  return { stacktrace, consolidate }
}

export default definePlugin<ErrorsConfig>({
  name: 'errors',
  once: true,
  parse: parseErrors,
  setup(cfg, ctx) {
    // One count per rule for the whole block, whichever address the error came in on.
    const consolidators = cfg.consolidate.map((rule) => new Consolidator(rule, ctx.log))
    ctx.onShutdown(() => {
      for (const c of consolidators) c.stop()
    })
    return (next) => new ErrorsHandler(next, cfg, consolidators, ctx.log)
  },
})
