import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Frozen, merge, TopK } from './topk.ts'

test('exact while the keys fit; heavy hitters survive a flood of unique keys', () => {
  const k = new TopK(8)
  for (let i = 0; i < 5; i++) k.add('a', 1)
  k.add('b', 2)
  assert.deepEqual([...k.entries()].map((e) => [e.key, e.count, e.error]).sort(), [['a', 5, 0], ['b', 2, 0]])
  for (let i = 0; i < 10_000; i++) {
    k.add(`unique-${i}`, 1)
    if (i % 10 === 0) k.add('heavy', 1)
  }
  assert.equal(k.size, 8, 'never more than its capacity')
  const heavy = [...k.entries()].find((e) => e.key === 'heavy')!
  assert.ok(heavy.count >= 1000 && heavy.count - heavy.error <= 1000, JSON.stringify(heavy))
  assert.equal(k.total, 7 + 11_000)
})

test('every count is an upper bound, and count - error a lower bound (Space-Saving)', () => {
  const k = new TopK(16)
  const truth = new Map<string, number>()
  let seed = 7
  for (let i = 0; i < 20_000; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    const key = `k${Math.floor(Math.sqrt(seed % 10_000))}` // skewed: small keys are rare
    truth.set(key, (truth.get(key) ?? 0) + 1)
    k.add(key, 1)
  }
  for (const e of k.entries()) {
    const t = truth.get(e.key)!
    assert.ok(e.count >= t && e.count - e.error <= t, `${e.key}: ${e.count}±${e.error} vs ${t}`)
    assert.ok(e.error <= k.total / k.capacity)
  }
})

test('merge adds counts across parts and the floor of a full part a key is missing from', () => {
  const a = new TopK(2)
  const b = new TopK(2)
  a.add('x', 10)
  a.add('y', 3)
  b.add('x', 4)
  b.add('z', 5)
  b.add('w', 1) // b is full: w takes over x's counter (4), so w is 5 ± 4
  const m = merge([a, b], 10)
  assert.equal(m.total, 23)
  assert.equal(b.floor, 5)
  assert.equal(m.bound, a.floor + b.floor)
  const y = m.top.find((e) => e.key === 'y')!
  assert.deepEqual(y, { key: 'y', count: 3 + 5, error: 5 }, 'y may have had up to b.floor in b')
  assert.deepEqual(m.top.find((e) => e.key === 'w'), { key: 'w', count: 5 + 3, error: 4 + 3 })
  const frozen = new Frozen(m, 10)
  assert.equal(frozen.total, 23)
  assert.equal(frozen.count('y'), y.count)
})
