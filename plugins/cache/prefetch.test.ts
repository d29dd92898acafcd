import assert from 'node:assert/strict'
import { test } from 'node:test'
import { collect } from '../../src/plugin/metadata.ts'
import type { Request } from '../../src/plugin/plugin.ts'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import { Harness, reply, type Answer } from './testkit.ts'

/** A refresh that never settles must fail the test, not hang the run. */
const BOUNDED = { timeout: 5000 }

/** Upstream answers with TTL 10 and a new address each time: 192.0.2.1, .2, ... */
function counting(): (r: Request) => Answer {
  let n = 0
  return (r) => reply(r, [`${r.qname} 10 IN A 192.0.2.${++n}`])
}

test('prefetch: AMOUNT hits, PERCENTAGE of the TTL left: refreshed behind', BOUNDED, async () => {
  const t = new Harness('cache {\n prefetch 2 1m 50%\n}', counting())
  await t.ask('p.example.org')
  t.advance(4)
  await t.ask('p.example.org') // 6 s left > ceil(50% of 10): no
  t.advance(1)
  const trigger = await t.ask('p.example.org') // second hit, 5 s left: prefetch
  assert.deepEqual(trigger.data, ['192.0.2.1'], 'the client is answered from the entry it hit')
  assert.deepEqual(trigger.ttls, [5])
  assert.equal(t.up.queries.length, 2)
  assert.equal(t.up.queries[1]!.proto, 'tcp', 'refreshes go over TCP, as in CoreDNS')
  assert.equal(t.up.queries[1]!.qname, 'p.example.org.')
  await t.h.idle()
  assert.equal(t.cells.prefetches.value, 1)
  t.advance(1)
  const fresh = await t.ask('p.example.org')
  assert.deepEqual(fresh.data, ['192.0.2.2'])
  assert.deepEqual(fresh.ttls, [9])
  // The new entry inherited the hit count: the next time it is low, it is prefetched again.
  t.advance(4)
  await t.ask('p.example.org')
  await t.h.idle()
  assert.equal(t.up.queries.length, 3)
  assert.equal(t.cells.prefetches.value, 2)
})

test("a refresh has a metadata store of its own: forward's labels stay off the hit's log", BOUNDED, async () => {
  const t = new Harness('cache {\n prefetch 1 1m 50%\n}', counting())
  await t.ask('own.example.org')
  t.advance(5) // 5 s left of 10: the next hit prefetches
  const r = request('own.example.org')
  collect(r, ['.'], {})
  await t.h.serveDNS(testContext, new Recorder(), r)
  await t.h.idle()
  assert.equal(t.cells.prefetches.value, 1)
  const refresh = t.up.queries.at(-1)!
  assert.equal(refresh.proto, 'tcp')
  assert.notEqual(refresh.metadata, r.metadata, 'CoreDNS doPrefetch: a fresh metadata map')
  assert.equal(refresh.metadata, undefined)
})

test('prefetch: the refreshed entry goes on from the hits of the one it replaced', BOUNDED, async () => {
  const t = new Harness('cache {\n prefetch 3 1m 50%\n}', counting())
  await t.ask('inherit.example.org')
  for (const s of [1, 1, 3]) {
    t.advance(s)
    await t.ask('inherit.example.org') // hits 1, 2, then 3 with 5 s left: prefetch
  }
  await t.h.idle()
  assert.equal(t.cells.prefetches.value, 1)
  t.advance(1)
  await t.ask('inherit.example.org') // the new entry's 4th hit, 9 s left
  t.advance(4)
  await t.ask('inherit.example.org') // its 5th, 5 s left: prefetched again (a 2nd hit would not)
  await t.h.idle()
  assert.equal(t.cells.prefetches.value, 2)
  assert.equal(t.up.queries.length, 3)
})

test('prefetch: the hits are taken over though the old entry was evicted meanwhile', BOUNDED, async () => {
  let gate: PromiseWithResolvers<void> | undefined
  const t = new Harness('cache {\n success 1024\n prefetch 3 1m 50%\n}', (r) => {
    const m = reply(r, [`${r.qname} 10 IN A 192.0.2.1`])
    return r.name.startsWith('pop') && gate ? gate.promise.then(() => m) : m
  })
  await t.ask('pop.example.org')
  for (const s of [1, 1, 3]) {
    t.advance(s)
    if (s === 3) gate = Promise.withResolvers()
    await t.ask('pop.example.org') // the third hit, 5 s left: a prefetch the upstream holds
  }
  for (let i = 0; i < 1100; i++) await t.ask(`other${i}.example.org`) // pop is evicted
  gate!.resolve()
  await t.h.idle()
  assert.equal(t.cells.prefetches.value, 1)
  t.advance(5) // the new entry has 5 s left: its 4th hit prefetches (a 1st would not)
  await t.ask('pop.example.org')
  await t.h.idle()
  assert.equal(t.cells.prefetches.value, 2)
})

test('prefetch: hits further apart than DURATION start the count again', BOUNDED, async () => {
  const t = new Harness('cache {\n prefetch 2 2s 90%\n}', counting())
  await t.ask('gap.example.org')
  for (let i = 0; i < 3; i++) {
    t.advance(3)
    await t.ask('gap.example.org')
  }
  assert.equal(t.up.queries.length, 1)
  assert.equal(t.cells.prefetches.value, 0)
})

test('prefetch: one refresh in flight per entry, however many hits', BOUNDED, async () => {
  let release = (): void => {}
  const first = counting()
  const t = new Harness('cache {\n prefetch 1 1m 90%\n}', (r) => {
    if (t.up.queries.length === 1) return first(r)
    const late = reply(r, [`${r.qname} 10 IN A 192.0.2.99`])
    return new Promise((resolve) => (release = () => resolve(late)))
  })
  await t.ask('busy.example.org')
  t.advance(2)
  for (let i = 0; i < 5; i++) {
    assert.deepEqual((await t.ask('busy.example.org')).data, ['192.0.2.1'])
  }
  assert.equal(t.up.queries.length, 2)
  release()
  await t.h.idle()
  assert.deepEqual((await t.ask('busy.example.org')).data, ['192.0.2.99'])
})

test('prefetch: a failed refresh keeps the entry; a later hit retries', BOUNDED, async () => {
  let fail = false
  const ok = counting()
  const t = new Harness('cache {\n prefetch 1 1m 90%\n}', (r) => (fail ? 2 : ok(r)))
  await t.ask('flaky.example.org')
  fail = true
  t.advance(2)
  await t.ask('flaky.example.org')
  await t.h.idle()
  assert.equal(t.up.queries.length, 2)
  const still = await t.ask('flaky.example.org')
  assert.deepEqual(still.data, ['192.0.2.1'])
  await t.h.idle()
  assert.equal(t.up.queries.length, 3)
})
