// runtime_metrics against real processes: GC durations are exported only once a Corefile asks for
// them, and from then on for the life of the process, also after a reload to a Corefile without
// the option (CoreDNS latches runtime_metrics the same way).

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { test } from 'node:test'
import { buildQuery, freePort, startTsdns, udpQuery } from '../../test/helpers/index.ts'

/** A Corefile answering whoami on `port`, metrics on `mport`, reloaded every ~1 s. */
function corefile(port: number, mport: number, runtimeMetrics: boolean): string {
  const options = runtimeMetrics ? ' {\n        runtime_metrics\n    }' : ''
  return `.:${port} {\n    bind 127.0.0.1\n    reload 2s 1s\n` +
    `    prometheus 127.0.0.1:${mport}${options}\n    whoami\n}\n`
}

/** nodejs_gc_duration_seconds's sample count per kind, after a few queries and a scrape. */
async function gcCounts(port: number, mport: number): Promise<Map<string, number>> {
  for (let i = 0; i < 20; i++) await udpQuery('127.0.0.1', port, buildQuery(`q${i}.example.`, 'A'))
  const text = await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text()
  const counts = new Map<string, number>()
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_count\{kind="(\w+)"\} (\d+)$/gm)) {
    counts.set(m[1]!, Number(m[2]))
  }
  assert.equal(/^# TYPE nodejs_gc_duration_seconds histogram$/m.test(text), counts.size > 0, text)
  assert.match(text, /^process_resident_memory_bytes \d+$/m, 'the default runtime metrics stay')
  return counts
}

test('without runtime_metrics: no GC durations, collections or not', async (t) => {
  const [port, mport] = [await freePort('both'), await freePort('tcp')]
  // --trace-gc: V8 logs each collection to stdout, so the test knows some ran while it scraped
  const tsdns = await startTsdns({
    corefile: corefile(port, mport, false),
    nodeArgs: ['--max-semi-space-size=1', '--trace-gc'],
  })
  t.after(() => tsdns.stop())
  const scavenges = () => tsdns.stdout().filter((l) => l.includes('Scavenge')).length
  await gcCounts(port, mport) // prom-client loaded: from here on the histogram would count
  const before = scavenges()
  for (let i = 0; i < 100 && scavenges() < before + 2; i++) {
    assert.deepEqual([...await gcCounts(port, mport)], [])
  }
  assert.ok(scavenges() >= before + 2, `collections ran: ${scavenges() - before}`)
  assert.deepEqual([...await gcCounts(port, mport)], [])
})

test('runtime_metrics: GC durations by kind, kept after a reload without it', async (t) => {
  const [port, mport] = [await freePort('both'), await freePort('tcp')]
  // a small young generation: a few scavenges happen while tsdns starts
  const tsdns = await startTsdns({
    corefile: corefile(port, mport, true),
    nodeArgs: ['--max-semi-space-size=1'],
  })
  t.after(() => tsdns.stop())
  // each round allocates (queries, a scrape): a scavenge comes within a few
  let minor = 0
  for (let i = 0; i < 100 && minor === 0; i++) minor = (await gcCounts(port, mport)).get('minor') ?? 0
  assert.ok(minor > 0, 'minor collections counted')

  writeFileSync(tsdns.confPath, corefile(port, mport, false).replace('whoami', 'whoami\n    log'))
  await tsdns.waitForLine(/^\[INFO\] Reloading complete$/, 8000)
  const after = (await gcCounts(port, mport)).get('minor') ?? 0
  assert.ok(after >= minor, `still exported after the reload: ${after}`)
})
