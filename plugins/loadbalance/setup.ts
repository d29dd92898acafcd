import { isAbsolute, join } from 'node:path'
import type { Directive } from '../../src/corefile/ast.ts'
import { args, duration, lastToken, rest, unknownProperty } from '../../src/corefile/args.ts'
import { parseCidr } from '../../src/dns/cidr.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { definePlugin, type SetupContext } from '../../src/plugin/plugin.ts'
import { Networks } from '../../src/dns/networks.ts'
import { LoadBalanceHandler } from './loadbalance.ts'
import { mathRand, type Weights } from './policy.ts'
import { WeightFile } from './weights.ts'

const NO_WEIGHTS: Weights = new Map()

export interface LoadBalanceConfig {
  readonly policy: 'round_robin' | 'weighted'
  /** Absolute path of the weight file (weighted). */
  readonly weightFile: string | undefined
  readonly reloadMs: number
  /** One set per `prefer` network, in order. */
  readonly prefer: readonly Networks[]
}

function fail(d: Directive, detail: string, at = lastToken(d)): CorefileError {
  return new CorefileError('COREFILE_VALUE', at, detail, 'loadbalance')
}

/**
 * `loadbalance [round_robin | weighted WEIGHTFILE] { reload DURATION; prefer CIDR... }`. As in
 * CoreDNS, a later stanza's policy replaces an earlier one and prefer networks add up.
 */
export function parseLoadBalance(
  stanzas: readonly Directive[],
  ctx: Pick<SetupContext, 'dir'>,
): LoadBalanceConfig {
  let policy: LoadBalanceConfig['policy'] = 'round_robin'
  let weightFile: string | undefined
  let reloadMs = 30_000
  const nets: Networks[] = []
  for (const d of stanzas) {
    const [name, file, extra] = d.args
    policy = 'round_robin'
    weightFile = undefined
    if (name?.text === 'weighted') {
      if (file === undefined) throw fail(d, 'missing weight file argument')
      if (extra !== undefined) throw fail(d, 'unexpected argument(s)', extra)
      policy = 'weighted'
      weightFile = isAbsolute(file.text) ? file.text : join(ctx.dir, file.text)
    } else if (name !== undefined && name.text !== 'round_robin') {
      throw fail(d, `unknown policy: ${name.text}, expecting round_robin or weighted`, name)
    } else if (file !== undefined) {
      throw fail(d, `unknown property for ${name!.text}: '${file.text}'`, file)
    }
    for (const opt of d.block ?? []) {
      if (opt.name.text === 'reload' && policy === 'weighted') {
        const [t] = args(opt, 1, 1, 'loadbalance')
        reloadMs = duration(t!, 'loadbalance')
      } else if (opt.name.text === 'prefer') {
        for (const t of rest(opt, 'loadbalance')) {
          const net = parseCidr(t.text)
          if (net === undefined) throw fail(opt, `invalid CIDR "${t.text}"`, t)
          const one = new Networks()
          one.add(net)
          nets.push(one)
        }
      } else {
        throw unknownProperty(opt, 'loadbalance')
      }
    }
  }
  return { policy, weightFile, reloadMs, prefer: nets }
}

export default definePlugin<LoadBalanceConfig>({
  name: 'loadbalance',
  parse: parseLoadBalance,
  setup(cfg, ctx) {
    const file = cfg.weightFile === undefined ? undefined : new WeightFile(cfg.weightFile)
    if (file !== undefined) {
      let timer: NodeJS.Timeout | undefined
      ctx.onStartup(async () => {
        const problem = await file.load(ctx.log)
        if (problem !== undefined) {
          if (cfg.reloadMs === 0) {
            throw new Error(`plugin/loadbalance: weight file open error: ${file.path}: ${problem}`)
          }
          ctx.log.warning(
            `Failed to open weight file: ${file.path}: ${problem}. ` +
              `Will try again in ${cfg.reloadMs / 1000}s`,
          )
        }
        if (cfg.reloadMs > 0) {
          timer = setInterval(() => void file.reload(ctx.log), cfg.reloadMs)
          timer.unref()
        }
      })
      ctx.onShutdown(() => clearInterval(timer))
    }
    const balance = {
      policy: cfg.policy,
      weights: () => file?.weights ?? NO_WEIGHTS,
      prefer: cfg.prefer,
      rand: mathRand,
    }
    return (next) => new LoadBalanceHandler(balance, next)
  },
})
