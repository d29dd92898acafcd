import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FakeTimeouts } from './fake-timeouts.ts'

test('FakeTimeouts: refresh() moves the due time, clearTimeout cancels, due order kept', (t) => {
  const clock = FakeTimeouts.install(t)
  const seen: string[] = []
  const a = setTimeout(() => seen.push('a'), 100)
  setTimeout(() => seen.push('b'), 120)
  clearTimeout(setTimeout(() => seen.push('cleared'), 50))
  clock.advance(50)
  a.refresh() // due at 150 now
  clock.advance(60)
  assert.deepEqual(seen, [])
  clock.advance(10)
  assert.deepEqual(seen, ['b'])
  clock.advance(30)
  assert.deepEqual(seen, ['b', 'a'])
  a.refresh() // a fired timer is armed again, as Node's are
  clock.advance(100)
  assert.deepEqual(seen, ['b', 'a', 'a'])
  assert.equal(clock.now, 250)
})
