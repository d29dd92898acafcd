// forward FROM TO... { except NAMES...; force_tcp; prefer_udp; expire D; max_age D;
// max_idle_conns N; max_fails N; max_connect_attempts N; read_timeout D; tls [CERT KEY [CA]];
// tls_servername NAME; policy random|round_robin|sequential|parallel; health_check D [no_rec]
// [domain FQDN]; max_concurrent N; next RCODE...; next_on_nodata; failover RCODE...;
// failfast_all_unhealthy_upstreams; doh_method GET|POST; source_address IP; resolver
// IP[:PORT]... } (CoreDNS plugin/forward/setup.go; every error located).
// Several stanzas in one block are tried in the order written.

import { isIP } from 'node:net'
import type { Directive, Token } from '../../src/corefile/ast.ts'
import {
  args,
  duration,
  int,
  nextArgs,
  noArgs,
  options,
  unknownProperty,
} from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { normalizeZones } from '../../src/corefile/keys.ts'
import type { Handler, SetupContext } from '../../src/plugin/plugin.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { Rcode, rcodeFromName } from '../../src/plugin/rcode.ts'
import { readTlsFiles } from '../../src/plugin/tls-files.ts'
import { DEFAULTS, type ForwardConfig, type PolicyName, type Upstream } from './config.ts'
import { Forward, ForwardHandler } from './forward.ts'
import { parseTos, upstream } from './upstreams.ts'

const NAME = 'forward'
const POLICIES: readonly PolicyName[] = ['random', 'round_robin', 'sequential', 'parallel']

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

function invalid(t: Token, detail: string): CorefileError {
  return new CorefileError('COREFILE_VALUE', t, detail, NAME)
}

/** CoreDNS reads these with one NextArg: `{ max_fails 3 }` closes the block after the 3. */
function one(opt: Directive): Token {
  return nextArgs(opt, 1, NAME)[0]!
}

function nonNegativeDuration(t: Token, what: string): number {
  const ms = duration(t, NAME)
  if (ms < 0) throw invalid(t, `${what} can't be negative: ${t.text}`)
  return ms
}

function rcodes(opt: Directive): number[] {
  return args(opt, 1, Infinity, NAME).map((t) => {
    const rc = rcodeFromName(t.text)
    if (rc === undefined) throw invalid(t, `${t.text} is not a valid rcode`)
    return rc
  })
}

/** resolver IP[:PORT]: a bare IP (v4 or v6) on port 53, or IP:PORT as Go's net.SplitHostPort. */
function resolverAddress(t: Token): Upstream {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(t.text) ?? /^([^:]+):(\d+)$/.exec(t.text)
  const [host, port] = m ? [m[1]!, Number(m[2])] : [t.text, 53]
  if (isIP(host) === 0 || port > 65535) {
    throw invalid(t, `resolver must be an IP address or IP:port: "${t.text}"`)
  }
  return upstream(host, port, 'dns', undefined)
}

function healthCheck(opt: Directive, cfg: Mutable<ForwardConfig>): void {
  const [d, ...more] = args(opt, 1, 4, NAME)
  cfg.healthCheckMs = nonNegativeDuration(d!, 'health_check')
  cfg.healthCheckDomain = '.'
  for (let i = 0; i < more.length; i++) {
    const t = more[i]!
    if (t.text === 'no_rec') cfg.healthCheckRecursion = false
    else if (t.text === 'domain') {
      const name = more[++i]
      if (name === undefined) args(opt, i + 2, 4, NAME) // "after 'domain'"
      try {
        cfg.healthCheckDomain = normalizeZones([name!], NAME)[0]!
      } catch {
        throw invalid(name!, `health_check: invalid domain name ${name!.text}`)
      }
    } else throw invalid(t, `health_check: unknown option ${t.text}`)
  }
}

function option(opt: Directive, cfg: Mutable<ForwardConfig>, dir: string): void {
  const name = opt.name.text
  switch (name) {
    case 'except':
      cfg.except = [...cfg.except, ...normalizeZones(args(opt, 1, Infinity, NAME), NAME)]
      break
    case 'force_tcp':
      noArgs(opt, NAME)
      cfg.forceTcp = true
      break
    case 'prefer_udp':
      noArgs(opt, NAME)
      cfg.preferUdp = true
      break
    case 'expire':
      cfg.expireMs = nonNegativeDuration(one(opt), 'expire')
      break
    case 'max_age':
      cfg.maxAgeMs = nonNegativeDuration(one(opt), 'max_age')
      break
    case 'max_idle_conns':
      cfg.maxIdleConns = int(one(opt), NAME, { min: 0 })
      break
    case 'max_fails':
      cfg.maxFails = int(one(opt), NAME, { min: 0, max: 0xffffffff })
      break
    case 'max_connect_attempts':
      cfg.maxConnectAttempts = int(one(opt), NAME, { min: 0, max: 0xffffffff })
      break
    case 'read_timeout': {
      const t = one(opt)
      cfg.readTimeoutMs = duration(t, NAME)
      if (cfg.readTimeoutMs <= 0) throw invalid(t, `read_timeout must be greater than 0: ${t.text}`)
      break
    }
    case 'tls':
      cfg.tls = readTlsFiles(args(opt, 0, 3, NAME), dir, NAME)
      break
    case 'tls_servername':
      cfg.tlsServerName = one(opt).text
      break
    case 'policy': {
      const t = one(opt)
      if (!(POLICIES as readonly string[]).includes(t.text)) {
        throw new CorefileError('COREFILE_VALUE', t, `unknown policy '${t.text}'`, NAME)
      }
      cfg.policy = t.text as PolicyName
      break
    }
    case 'health_check':
      healthCheck(opt, cfg)
      break
    case 'max_concurrent': {
      const t = one(opt)
      cfg.maxConcurrent = int(t, NAME)
      if (cfg.maxConcurrent < 0) throw invalid(t, `max_concurrent can't be negative: ${t.text}`)
      break
    }
    case 'next':
      cfg.next = [...cfg.next, ...rcodes(opt)]
      break
    case 'next_on_nodata':
      noArgs(opt, NAME)
      cfg.nextOnNodata = true
      break
    case 'failover': {
      const list = rcodes(opt)
      const i = list.indexOf(Rcode.NoError)
      if (i !== -1) throw invalid(opt.args[i]!, 'NoError cannot be used in failover')
      cfg.failover = [...cfg.failover, ...list]
      break
    }
    case 'failfast_all_unhealthy_upstreams':
      noArgs(opt, NAME)
      cfg.failfastAllUnhealthy = true
      break
    case 'doh_method': {
      const t = one(opt)
      if (t.text !== 'GET' && t.text !== 'POST') {
        throw invalid(t, 'doh_method must be either POST or GET')
      }
      cfg.dohMethod = t.text
      break
    }
    case 'source_address': {
      const t = one(opt)
      if (isIP(t.text) === 0) throw invalid(t, `invalid IP address: ${t.text}`)
      cfg.sourceAddress = t.text
      break
    }
    case 'resolver':
      cfg.resolvers = args(opt, 1, Infinity, NAME).map(resolverAddress)
      break
    default:
      throw unknownProperty(opt, NAME)
  }
}

function parseStanza(d: Directive, ctx: Pick<SetupContext, 'dir' | 'log'>): ForwardConfig {
  const [from, ...tos] = args(d, 2, Infinity, NAME)
  const zones = normalizeZones([from!], NAME)
  if (zones.length > 1) {
    ctx.log.warning(`Unsupported CIDR notation: '${from!.text}' expands to multiple zones. ` +
      `Using only '${zones[0]}'.`)
  }
  const cfg: Mutable<ForwardConfig> = {
    from: zones[0]!,
    except: [],
    to: [],
    resolvers: [],
    sourceAddress: undefined,
    dohMethod: 'POST',
    forceTcp: false,
    preferUdp: false,
    expireMs: DEFAULTS.expireMs,
    maxAgeMs: 0,
    maxIdleConns: 0,
    maxFails: DEFAULTS.maxFails,
    maxConnectAttempts: undefined,
    readTimeoutMs: DEFAULTS.readTimeoutMs,
    tls: undefined,
    tlsServerName: undefined,
    policy: 'random',
    healthCheckMs: DEFAULTS.healthCheckMs,
    healthCheckRecursion: true,
    healthCheckDomain: '.',
    maxConcurrent: 0,
    next: [],
    nextOnNodata: false,
    failover: [],
    failfastAllUnhealthy: false,
  }
  // the block first: a TO's own %NAME may not clash with tls_servername
  for (const opt of options(d.block)) option(opt, cfg, ctx.dir)
  if (cfg.maxAgeMs > 0 && cfg.maxAgeMs < cfg.expireMs) {
    const t = [...options(d.block)].find((o) => o.name.text === 'max_age')!.args[0]!
    throw invalid(t, `max_age (${t.text}) must be greater than or equal to expire`)
  }
  cfg.to = parseTos(d.name, tos, ctx.dir, cfg.tlsServerName)
  return cfg
}

export function parseForward(
  stanzas: readonly Directive[],
  ctx: Pick<SetupContext, 'dir' | 'log'>,
): ForwardConfig[] {
  return stanzas.map((d) => parseStanza(d, ctx))
}

/** The stanzas chained in order: each one's next is the following stanza, the last one's `next`. */
export function chain(stanzas: readonly Forward[], next: Handler | undefined): Handler {
  let h = next
  const last = stanzas.length - 1
  for (let i = last; i >= 0; i--) h = new ForwardHandler(stanzas[i]!, h, i < last)
  return h!
}

export default definePlugin<ForwardConfig[]>({
  name: NAME,
  parse: parseForward,
  setup(configs, ctx) {
    const stanzas = configs.map((c) => new Forward(c))
    // hostname TOs: one that cannot be resolved fails the start (or reload), as in CoreDNS
    ctx.onPrepare(async () => {
      // all at once; the first stanza written that fails is the one reported
      const settled = await Promise.allSettled(stanzas.map((f) => f.prepare()))
      for (const r of settled) if (r.status === 'rejected') throw r.reason
    })
    ctx.onStartup(() => {
      for (const f of stanzas) f.start()
    })
    ctx.onShutdown(() => {
      for (const f of stanzas) f.stop()
    })
    return (next) => chain(stanzas, next)
  },
})
