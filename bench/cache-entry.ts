// `node --expose-gc bench/cache-entry.ts [NAMES]`: memory held per cache entry. The bench
// Corefile is built in process and NAMES unique names (default 10,000) are looked up through it
// (upstream.ts answers each with one A record); the heap after a full collection, less
// the heap before, divided by NAMES is what one cached answer costs in the JavaScript heap: its
// stored form, its key and the LRU's bookkeeping. Beside it, the ArrayBuffers' growth: the entry
// table's typed arrays (plugins/cache/table.ts), outside the heap and never collected.

import { parseConfig } from '../src/cli/config.ts'
import { Instance } from '../src/server/instance.ts'
import { buildQuery } from '../test/helpers/query.ts'
import { tsdnsCorefile } from './servers.ts'
import { oneRecordUpstream } from './upstream.ts'

const NAMES = Number(process.argv[2] ?? 10_000)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')

const up = await oneRecordUpstream()

const text = tsdnsCorefile(53, up.port, 9153)
  .replace(/success \d+/, `success ${NAMES}`).replace(/denial \d+/, `denial ${NAMES}`)
const inst = Instance.build(parseConfig({ file: 'bench', text }, 53), { defaultPort: 53, dir: '.' })
const server = inst.servers[0]!
const heap = () => {
  gc()
  gc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, buffers: m.arrayBuffers }
}
const ask = async (from: number, to: number) => {
  for (let i = from; i < to; i += 100) {
    const batch = []
    for (let j = i; j < Math.min(i + 100, to); j++) batch.push(server.exchange(buildQuery(`n${j}.bench`, 'A', { id: j & 0xffff })))
    await Promise.all(batch)
  }
}
await ask(0, 200) // warm: code, metric series, the LRU's arrays grown past their first size
const before = heap()
await ask(200, 200 + NAMES)
const after = heap()
const per = (k: 'heap' | 'buffers') => ((after[k] - before[k]) / NAMES).toFixed(0)
process.stdout.write(`${NAMES} names: ${per('heap')} bytes of heap per entry, ${per('buffers')} of ArrayBuffers\n`)
up.close()
await inst.shutdown()
