// `node bench/footprint.ts`: what a tsdns process costs before it serves much — time from spawn
// to the first answer, and resident memory at start and as its cache fills — with the bench
// Corefile (servers.ts) and the image's node flags. Unlike throughput these hold on a busy machine
// (RSS does not depend on the load; starts are medians of interleaved runs), so they are measured
// here on their own. Needs Debian's dnsperf and unbound (the upstream), like `npm run bench`.
//
// Environment:
//   FOOTPRINT_STARTS   starts per variant (default 9), the median is reported
//   FOOTPRINT_ROUNDS   memory runs per variant (default 3), medians reported
//   FOOTPRINT_NAMES    RSS checkpoints, cumulative unique names (default 10000,100000)
//   FOOTPRINT_FLAGS    ';'-separated node flag sets to compare (default: the image's ENTRYPOINT
//                      flags); `image` stands for those, e.g. "image;image --optimize-for-size"
//   FOOTPRINT_MAIN     ','-separated entries to compare: snapshot blobs or scripts, e.g.
//                      dist/cli/main.js (default: the blob `npm run build` makes, the image's)
//   FOOTPRINT_CAPACITY cache capacity (success and denial) of the Corefile (default 9984, CoreDNS's)

import { execFileSync } from 'node:child_process'
import { makeTempDir, removeTempDir } from '../test/helpers/tmp.ts'
import { buildAsImage, imageNodeFlags } from './image.ts'
import { fillCache, median, pinUpstream } from './memory.ts'
import { type Env, rssMiB, start, tsdns } from './servers.ts'

const starts = Number(process.env['FOOTPRINT_STARTS'] ?? 9)
const rounds = Number(process.env['FOOTPRINT_ROUNDS'] ?? 3)
const checkpoints = (process.env['FOOTPRINT_NAMES'] ?? '10000,100000').split(',').map(Number)
const image = imageNodeFlags()
const flagSets = (process.env['FOOTPRINT_FLAGS'] ?? 'image').split(';')
  .map((s) => s.trim().split(/\s+/).flatMap((f) => (f === 'image' ? image : f === '' ? [] : [f])))
const mains = process.env['FOOTPRINT_MAIN']?.split(',') ?? [buildAsImage()]
const capacity = Number(process.env['FOOTPRINT_CAPACITY'] ?? 9984)
/** RSS is read once the HTTP side (metrics listener) is up too, not at the first DNS answer. */
const SETTLE_MS = 1500

interface Variant {
  readonly name: string
  readonly main: string
  readonly flags: readonly string[]
}

const variants: Variant[] = mains.flatMap((main) => flagSets.map((flags) => ({
  name: `${mains.length > 1 ? `${main} ` : ''}node ${flags.join(' ')}`, main, flags,
})))

const spec = (v: Variant) => tsdns(v.name, capacity, v.flags)

async function main(): Promise<void> {
  const dir = makeTempDir('footprint')
  const up = await pinUpstream()
  const env = (v: Variant): Env => ({ dir, upstream: up.port, tsdnsMain: v.main, ceilingMain: '' })
  const startMs = new Map<string, number[]>(variants.map((v) => [v.name, []]))
  const rss = new Map<string, number[][]>(variants.map((v) => [v.name, []]))
  try {
    // one start each first: a script's fills Node's compile cache (a blob needs none)
    for (const v of variants) await (await start(spec(v), env(v))).stop()
    for (let i = 0; i < starts; i++) {
      for (const v of variants) {
        const s = await start(spec(v), env(v))
        startMs.get(v.name)!.push(s.startMs)
        await s.stop()
      }
    }
    for (let i = 0; i < rounds; i++) {
      for (const v of variants) {
        const s = await start(spec(v), env(v))
        try {
          await new Promise((r) => setTimeout(r, SETTLE_MS))
          const row = [rssMiB(s.pid)]
          let filled = 0
          for (const n of checkpoints) {
            await fillCache(s.port, dir, `f${filled}`, n - filled)
            filled = n
            row.push(rssMiB(s.pid))
          }
          rss.get(v.name)!.push(row)
        } finally {
          await s.stop()
        }
      }
    }
  } finally {
    await up.stop()
    removeTempDir(dir)
  }
  const head = ['start ms', 'RSS at start', ...checkpoints.map((n) => `after ${n / 1000}k names`)]
  process.stdout.write(`\n${execFileSync('uptime', { encoding: 'utf8' }).trim()}\n` +
    `medians of ${starts} starts (first answer to a forwarded name) and ${rounds} memory runs (MiB)\n` +
    `| variant | ${head.join(' | ')} |\n|---|${head.map(() => '---:').join('|')}|\n`)
  for (const v of variants) {
    const rows = rss.get(v.name)!
    const cols = rows[0]!.map((_, c) => median(rows.map((r) => r[c]!)).toFixed(1))
    process.stdout.write(`| ${v.name} | ${median(startMs.get(v.name)!).toFixed(0)} | ${cols.join(' | ')} |\n`)
  }
}

await main()
