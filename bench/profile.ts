// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, the heaviest first.
// Usage: node bench/profile.ts FILE.cpuprofile [N]

import { readFileSync } from 'node:fs'
import { relative } from 'node:path'

interface ProfileNode {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
  readonly children?: readonly number[]
}

interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

const [file, top = '40'] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: node bench/profile.ts FILE.cpuprofile [N]')
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(p.nodes.map((n) => [n.id, n]))
const self = new Map<string, number>()
let total = 0
for (let i = 0; i < p.samples.length; i++) {
  const n = byId.get(p.samples[i]!)!
  const { functionName, url, lineNumber } = n.callFrame
  const path = relative(process.cwd(), url.replace('file://', ''))
  const where = url === '' ? '' : ` ${path}:${lineNumber + 1}`
  const key = `${functionName || '(anonymous)'}${where}`
  const dt = p.timeDeltas[i] ?? 0
  self.set(key, (self.get(key) ?? 0) + dt)
  total += dt
}
const idle = self.get('(idle)') ?? 0
const busy = total - idle
process.stdout.write(`${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy\n`)
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  process.stdout.write(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${key}\n`)
}
