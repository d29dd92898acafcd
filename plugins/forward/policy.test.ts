import assert from 'node:assert/strict'
import { test } from 'node:test'
import { policy } from './policy.ts'

const items = ['a', 'b', 'c', 'd']

test('sequential and parallel keep the configured order', () => {
  for (const name of ['sequential', 'parallel'] as const) {
    assert.deepEqual(policy(name, items)(), items)
  }
})

test('round_robin starts one further each time, the rest in configured order (CoreDNS)', () => {
  const next = policy('round_robin', items)
  assert.deepEqual([next(), next(), next(), next(), next()].map((l) => l.join('')),
    ['bacd', 'cabd', 'dabc', 'abcd', 'bacd'])
})

test('random gives permutations, every item first sometimes', () => {
  for (const list of [items, ['a', 'b'], ['a']]) {
    const next = policy('random', list)
    const firsts = new Set<string>()
    for (let i = 0; i < 400; i++) {
      const l = next()
      assert.deepEqual([...l].sort(), [...list].sort())
      firsts.add(l[0]!)
    }
    assert.equal(firsts.size, list.length)
  }
})
