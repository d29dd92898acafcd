// errors: where a returned error (a thrown PluginError or a rejected promise below this plugin)
// is logged once and turned into its rcode (CoreDNS plugin/errors). Anything else thrown is a
// panic: logged like the server logs one, answered with SERVFAIL.

import type { RE2JS } from 're2js'
import { logLine, type Level, type Logger } from '../../src/plugin/log.ts'
import {
  nextOrFailure,
  PluginError,
  type Handler,
  type HandlerResult,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { goDurationMs } from '../../src/plugin/duration.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { typeName } from '../../src/plugin/rrtype.ts'
import { panics } from '../../src/plugin/panics.ts'

export type ConsolidateLevel = Exclude<Level, 'FATAL'>

export interface ConsolidateRule {
  readonly periodMs: number
  readonly re: RE2JS
  readonly level: ConsolidateLevel
  readonly showFirst: boolean
}

export interface ErrorsConfig {
  /** Log the stack of a recovered panic. */
  readonly stacktrace: boolean
  readonly consolidate: readonly ConsolidateRule[]
}

/** Counts errors matching one `consolidate` rule over its period, then reports the count. */
export class Consolidator {
  readonly rule: ConsolidateRule
  readonly #log: Logger
  #count = 0
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  constructor(rule: ConsolidateRule, log: Logger) {
    this.rule = rule
    this.#log = log
  }

  /** Takes a matching error; false once stopped (then the caller logs it as usual). */
  take(line: string): boolean {
    if (this.#stopped) return false
    if (++this.#count === 1) {
      this.#timer = setTimeout(() => this.#report(), Math.max(0, this.rule.periodMs))
      this.#timer.unref()
      if (this.rule.showFirst) this.#at(line)
    }
    return true
  }

  /** Shutdown: report what was counted so far; later errors are logged one by one. */
  stop(): void {
    this.#stopped = true
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#report()
    }
  }

  #report(): void {
    const n = this.#count
    this.#count = 0
    this.#timer = undefined
    if (n > 1 || (n === 1 && !this.rule.showFirst)) {
      const period = goDurationMs(this.rule.periodMs)
      this.#at(`${n} errors like '${this.rule.re.pattern()}' occurred in last ${period}`)
    }
  }

  #at(msg: string): void {
    if (this.rule.level === 'WARNING') this.#log.warning(msg)
    else if (this.rule.level === 'INFO') this.#log.info(msg)
    else if (this.rule.level === 'DEBUG') this.#log.debug(msg)
    else this.#log.error(msg)
  }
}

export class ErrorsHandler implements Handler {
  readonly name = 'errors'
  readonly #next: Handler | undefined
  readonly #consolidators: readonly Consolidator[]
  readonly #stacktrace: boolean
  readonly #log: Logger

  constructor(
    next: Handler | undefined,
    cfg: ErrorsConfig,
    consolidators: readonly Consolidator[],
    log: Logger,
  ) {
    this.#next = next
    this.#consolidators = consolidators
    this.#stacktrace = cfg.stacktrace
    this.#log = log
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    let rc: HandlerResult
    try {
      rc = nextOrFailure('errors', this.#next, ctx, w, r)
    } catch (err) {
      return this.#failed(ctx, r, err)
    }
    if (typeof rc === 'number') return rc
    return this.#failedLater(ctx, r, rc)
  }

  /** Apart from serveDNS, whose synchronous answers would else allocate this closure's context. */
  #failedLater(ctx: RequestContext, r: Request, rc: Promise<number>): Promise<number> {
    return rc.then(undefined, (err: unknown) => this.#failed(ctx, r, err))
  }

  #failed(ctx: RequestContext, r: Request, err: unknown): number {
    if (!(err instanceof PluginError)) {
      panics.value++
      const stack = this.#stacktrace && err instanceof Error && err.stack ? `\n${err.stack}` : ''
      logLine('ERROR', `Recovered from panic in server: "${ctx.server}" ${String(err)}${stack}`)
      return Rcode.ServFail
    }
    const line = `${err.rcode} ${r.name} ${typeName(r.type)}: ${err.message}`
    // CoreDNS's forward returns its network errors bare (`read udp ...: i/o timeout`), so the
    // patterns written for it are tried on the text without our `plugin/<name>: ` too
    const bare = err.message.slice(err.plugin.length + 9)
    const c = this.#consolidators.find((c) => c.rule.re.test(err.message) || c.rule.re.test(bare))
    if (c === undefined || !c.take(line)) this.#log.error(line)
    return err.rcode
  }
}
