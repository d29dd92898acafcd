// The order in which a query tries the upstreams (CoreDNS plugin/forward/policy.go). Lists are
// built when the configuration is, so a query allocates nothing except under `random` with three
// or more upstreams. `parallel` sends to all at once and does not order them.

import type { PolicyName } from './config.ts'

export type Policy<T> = () => readonly T[]

export function policy<T>(name: PolicyName, items: readonly T[]): Policy<T> {
  switch (name) {
    case 'random':
      return random(items)
    case 'round_robin':
      return roundRobin(items)
    case 'sequential':
    case 'parallel':
      return () => items
  }
}

function random<T>(items: readonly T[]): Policy<T> {
  if (items.length === 1) return () => items
  if (items.length === 2) {
    const swapped = [items[1]!, items[0]!]
    return () => (Math.random() < 0.5 ? swapped : items)
  }
  return () => {
    const out = items.slice()
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      const t = out[i]!
      out[i] = out[j]!
      out[j] = t
    }
    return out
  }
}

/** Each query starts one further along; the rest keep their configured order (CoreDNS). */
function roundRobin<T>(items: readonly T[]): Policy<T> {
  const lists = items.map((first, i) => [first, ...items.slice(0, i), ...items.slice(i + 1)])
  let robin = 0
  return () => {
    robin = (robin + 1) % lists.length
    return lists[robin]!
  }
}

/** One item at random (CoreDNS: when every upstream is down, health checking is assumed broken). */
export function pickRandom<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!
}
