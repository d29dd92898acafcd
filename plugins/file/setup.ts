// file DBFILE [ZONES...] { reload DURATION; reload_by_mtime; fallthrough [ZONES...] }
// Parsing is pure; setup reads and checks every zone file (a bad zone stops the configuration,
// as in CoreDNS), then re-reads them every `reload` (default 1m, 0: never) while it runs.

import { resolve } from 'node:path'
import type { Directive, Token } from '../../src/corefile/ast.ts'
import { args, duration, noArgs, unknownProperty } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { normalizeZones } from '../../src/corefile/keys.ts'
import { UnreadableFile } from '../../src/corefile/read.ts'
import { goDurationMs } from '../../src/plugin/duration.ts'
import { definePlugin, type Plugin, type SetupContext } from '../../src/plugin/plugin.ts'
import { Fall } from '../../src/plugin/zones.ts'
import { FileHandler } from './file.ts'
import { ZoneFile } from './reload.ts'
import { ZoneError } from './zone.ts'
import { ZoneFileError } from './zonefile.ts'

const NAME = 'file'
const DEFAULT_RELOAD_MS = 60_000

export interface FileStanza {
  /** DBFILE as written. */
  readonly file: Token
  readonly origins: readonly string[]
  /** `reload` as it stands after this stanza (CoreDNS carries it over to later stanzas). */
  readonly reloadMs: number
  readonly byMtime: boolean
}

export interface FileConfig {
  readonly stanzas: readonly FileStanza[]
  readonly fall: Fall
}

/** caddy's RemainingArgs: the rest of the line, however many words. */
const rest = (d: Directive): readonly Token[] => args(d, 0, Infinity, NAME)

export function parseFileDirective(
  stanzas: readonly Directive[],
  blockZones: readonly string[],
): FileConfig {
  const out: FileStanza[] = []
  let reloadMs = DEFAULT_RELOAD_MS
  let byMtime = false
  let fall = Fall.never
  for (const d of stanzas) {
    const [file, ...zoneToks] = args(d, 1, Infinity, NAME)
    const origins = zoneToks.length > 0 ? normalizeZones(zoneToks, NAME) : blockZones
    for (const opt of d.block ?? []) {
      switch (opt.name.text) {
        case 'fallthrough':
          fall = Fall.of(normalizeZones(rest(opt), NAME))
          break
        case 'reload': {
          const [t] = rest(opt) // CoreDNS reads the first and ignores the rest
          if (t === undefined) {
            const why = 'reload duration value is expected'
            throw new CorefileError('COREFILE_ARGS', opt.name, why, NAME)
          }
          reloadMs = duration(t, NAME)
          if (reloadMs < 0) {
            const why = `invalid negative duration for reload '${t.text}'`
            throw new CorefileError('COREFILE_VALUE', t, why, NAME)
          }
          break
        }
        case 'reload_by_mtime':
          noArgs(opt, NAME)
          byMtime = true
          break
        case 'upstream': // accepted and ignored, as CoreDNS does since it became implicit
          rest(opt)
          break
        default:
          throw unknownProperty(opt, NAME)
      }
    }
    out.push({ file: file!, origins, reloadMs, byMtime })
  }
  return { stanzas: out, fall }
}

function setupFile(cfg: FileConfig, ctx: SetupContext): Plugin {
  const zones = new Map<string, { src: ZoneFile; reloadMs: number }>()
  for (const s of cfg.stanzas) {
    const path = resolve(ctx.dir, s.file.text)
    for (const origin of s.origins) {
      const src = new ZoneFile(origin, path, s.byMtime)
      load(src, s, ctx)
      zones.set(origin, { src, reloadMs: s.reloadMs })
    }
  }
  const timers: NodeJS.Timeout[] = []
  ctx.onStartup(() => {
    for (const { src, reloadMs } of zones.values()) {
      if (reloadMs === 0) continue
      const timer = setInterval(() => void src.reload(), reloadMs)
      timer.unref()
      timers.push(timer)
    }
  })
  ctx.onShutdown(() => {
    for (const t of timers.splice(0)) clearInterval(t)
  })
  const sources = [...zones.values()].map((z) => z.src)
  return (next) => new FileHandler(sources, cfg.fall, next)
}

/**
 * The first read. A bad zone is an error located in the zone file; a file that cannot be opened
 * is only a warning when it will be tried again (reload not 0), as in CoreDNS.
 */
function load(src: ZoneFile, s: FileStanza, ctx: SetupContext): void {
  try {
    src.load()
  } catch (err) {
    if (err instanceof ZoneFileError) {
      const at = { file: err.file, line: err.line, col: err.col, length: 1 }
      throw new CorefileError('COREFILE_VALUE', at, `zone ${src.origin}: ${err.detail}`, NAME)
    }
    if (err instanceof ZoneError) {
      throw new CorefileError('COREFILE_VALUE', s.file, err.message, NAME)
    }
    const why = `unable to read zone file '${src.path}': ${(err as Error).message}`
    const code = (err as NodeJS.ErrnoException).code
    const missing = code !== undefined && !(err instanceof UnreadableFile)
    if (s.reloadMs === 0 || !missing) {
      throw new CorefileError('COREFILE_VALUE', s.file, why, NAME)
    }
    ctx.log.warning(`${why}: trying again in ${goDurationMs(s.reloadMs)}`)
  }
}

export default definePlugin<FileConfig>({
  name: NAME,
  parse: (stanzas, ctx) => parseFileDirective(stanzas, ctx.zones),
  setup: setupFile,
})
