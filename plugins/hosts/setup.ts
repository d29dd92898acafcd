// hosts [FILE [ZONES...]] { INLINE...; ttl SECONDS; no_reverse; reload DURATION;
// fallthrough [ZONES...]; fallthrough_unsupported }
// Parsing is pure (inline entries included); setup checks the file, reads it at startup and
// re-reads it every `reload` while the configuration runs.

import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Directive, Token } from '../../src/corefile/ast.ts'
import { args, duration, int, nextArgs, noArgs, options, rest } from '../../src/corefile/args.ts'
import { CorefileError, type CorefileErrorCode } from '../../src/corefile/errors.ts'
import { normalizeZones } from '../../src/corefile/keys.ts'
import { definePlugin, type Plugin, type SetupContext } from '../../src/plugin/plugin.ts'
import { Fall } from '../../src/plugin/zones.ts'
import { parseIp } from '../../src/dns/ip.ts'
import { Hostsfile, hostsLine, type HostsMap, parseHosts } from './hostsfile.ts'
import { HostsHandler, type HostsOptions } from './hosts.ts'

const NAME = 'hosts'
const DEFAULT_FILE = '/etc/hosts'
const DEFAULT_TTL = 3600
const DEFAULT_RELOAD_MS = 5000

export interface HostsConfig extends HostsOptions {
  /** The FILE argument (absent: /etc/hosts), as written. */
  readonly file: Token | undefined
  readonly inline: HostsMap
  readonly reverse: boolean
  /** Milliseconds between looks at the file; 0: never after startup. */
  readonly reloadMs: number
}

const err = (code: CorefileErrorCode, at: Token, detail: string): CorefileError =>
  new CorefileError(code, at, detail, NAME)

export function parseHostsDirective(
  stanzas: readonly Directive[],
  blockZones: readonly string[],
): HostsConfig {
  const d = stanzas[0]! // `once`: the instance refuses a second stanza
  const [file, ...zoneToks] = d.args
  const origins = zoneToks.length > 0 ? normalizeZones(zoneToks, NAME) : blockZones
  let ttl = DEFAULT_TTL
  let reverse = true
  let reloadMs = DEFAULT_RELOAD_MS
  let fall: Fall | undefined
  let fallUnsupported: Token | undefined
  const inline: string[] = []
  for (const opt of options(d.block)) {
    switch (opt.name.text) {
      case 'fallthrough':
        fall = Fall.of(normalizeZones(rest(opt, NAME), NAME))
        break
      case 'fallthrough_unsupported':
        noArgs(opt, NAME)
        fallUnsupported = opt.name
        break
      case 'no_reverse':
        nextArgs(opt, 0, NAME)
        reverse = false
        break
      case 'ttl': {
        // CoreDNS reads the first of the rest of the line
        const [t] = args(opt, 1, Infinity, NAME)
        ttl = int(t!, NAME, { min: 1, max: 65535 })
        break
      }
      case 'reload': {
        const [t] = args(opt, 1, 1, NAME)
        reloadMs = duration(t!, NAME)
        if (reloadMs < 0) {
          throw err('COREFILE_VALUE', t!, `invalid negative duration for reload '${t!.text}'`)
        }
        break
      }
      default:
        // CoreDNS: before `fallthrough`, any other line is a hosts entry
        if (fall !== undefined) {
          throw err('COREFILE_UNKNOWN', opt.name, `unknown property '${opt.name.text}'`)
        }
        inline.push(inlineEntry(opt))
    }
  }
  if (fallUnsupported !== undefined && fall === undefined) {
    throw err('COREFILE_VALUE', fallUnsupported, 'fallthrough_unsupported needs fallthrough')
  }
  return {
    file,
    origins,
    ttl,
    reverse,
    reloadMs,
    fall: fall ?? Fall.never,
    fallUnsupported: fallUnsupported !== undefined,
    inline: parseHosts(inline.join('\n'), { origins, reverse }),
  }
}

/**
 * An inline line, checked: CoreDNS silently drops a line that is not `IP name...`, which hides
 * a mistyped option (`no_revers`) as a hosts entry that never matches.
 */
function inlineEntry(opt: Directive): string {
  const line = [opt.name, ...rest(opt, NAME)].map((t) => t.text).join(' ')
  const entry = hostsLine(line)
  if (entry === undefined) return ''
  if (parseIp(entry.ip) === undefined) {
    throw err(
      'COREFILE_UNKNOWN',
      opt.name,
      `unknown property '${opt.name.text}' (nor an IP address starting a hosts entry)`,
    )
  }
  if (entry.names.length === 0) {
    throw err('COREFILE_ARGS', opt.name, `hosts entry '${opt.name.text}' has no names`)
  }
  return line
}

function setupHosts(cfg: HostsConfig, ctx: SetupContext): Plugin {
  const path = cfg.file === undefined ? DEFAULT_FILE : resolve(ctx.dir, cfg.file.text)
  checkFile(path, cfg.file, ctx)
  const hosts = new Hostsfile(path, cfg.inline, { origins: cfg.origins, reverse: cfg.reverse })
  let timer: NodeJS.Timeout | undefined
  ctx.onStartup(async () => {
    await hosts.read()
    if (cfg.reloadMs > 0) {
      timer = setInterval(() => void hosts.read(), cfg.reloadMs)
      timer.unref()
    }
  })
  ctx.onShutdown(() => clearInterval(timer))
  return (next) => new HostsHandler(hosts, cfg, next)
}

/** As CoreDNS: a missing file or a directory is only a warning; any other stat error is fatal. */
function checkFile(path: string, at: Token | undefined, ctx: SetupContext): void {
  try {
    if (statSync(path).isDirectory()) ctx.log.warning(`Hosts file "${path}" is a directory`)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why = `unable to access hosts file '${path}': ${code}`
    if (code === 'ENOENT') ctx.log.warning(`File does not exist: ${path}`)
    else if (at !== undefined) throw err('COREFILE_VALUE', at, why)
    else ctx.log.warning(why)
  }
}

export default definePlugin<HostsConfig>({
  name: NAME,
  once: true,
  parse: (stanzas, ctx) => parseHostsDirective(stanzas, ctx.zones),
  setup: setupHosts,
})
