// Regexes from a Corefile against attacker-chosen names: nested quantifiers, which make a
// backtracking engine take exponential time, against a 250-byte name that never matches. RE2
// (re2js) runs them in time linear in the name, so their cost stays within a small factor of a
// plain pattern's. Prints the median and worst match per pattern, and the medians' ratio to the
// plain pattern's (the worst is mostly the machine's noise).
// Usage: node bench/redos.ts [rounds per pattern, default 200]

import { performance } from 'node:perf_hooks'
import { RE2JS } from 're2js'

const ROUNDS = Number(process.argv[2] ?? 200)
// 63+1+63+1+63+1+57+1 = 250 bytes of 'a' labels: each pattern runs the whole name and fails.
const NAME = ['a'.repeat(63), 'a'.repeat(63), 'a'.repeat(63), 'a'.repeat(57)].join('.') + '.'
const PLAIN = '^a+[.]b$'
const NESTED = ['^(a+)+$', '^(a|a)+$', '^((a+[.])+)+b$', '^(([a.]+)*)*![.]$']

/** Median and worst of ROUNDS matches after a warm-up, in ms. */
function times(pattern: string): { median: number; worst: number } {
  const re = RE2JS.compile(pattern)
  for (let i = 0; i < 20; i++) re.matcher(NAME).find()
  const ms: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now()
    if (re.matcher(NAME).find()) throw new Error(`${pattern} matched ${NAME}`)
    ms.push(performance.now() - start)
  }
  ms.sort((a, b) => a - b)
  return { median: ms[ms.length >> 1]!, worst: ms[ms.length - 1]! }
}

const plain = times(PLAIN)
const base = plain.median
console.log(`${NAME.length}-byte name, ${ROUNDS} rounds a pattern`)
console.log('pattern                     median ms  worst ms  median x plain')
for (const p of [PLAIN, ...NESTED]) {
  const t = p === PLAIN ? plain : times(p)
  const cols = [t.median.toFixed(3).padStart(9), t.worst.toFixed(3).padStart(9)]
  console.log(`${p.padEnd(27)} ${cols.join(' ')}  ${(t.median / base).toFixed(1).padStart(6)}`)
}
