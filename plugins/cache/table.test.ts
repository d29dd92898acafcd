// The cache's entry table: slots freed when their LRU lets go and given to the next entry, the
// last good entry of prefer_positive held until its successor goes, and what waits across a
// refresh never reading another name's entry from a reused slot.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Request } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { request } from '../../test/dnstest.ts'
import { cacheKey } from './cache.ts'
import { Entry } from './entry.ts'
import { EntryTable } from './table.ts'
import { Harness, reply, SOA, type Answer } from './testkit.ts'

const BOUNDED = { timeout: 5000 }

const entry = (wire: string, answers = true) => new Entry(wire, false, 300, 1000, answers)

test('table: a freed slot goes to the next entry, under a new generation', () => {
  const t = new EntryTable()
  const slot = t.add(entry('a'))
  const gen = t.gen(slot)
  assert.equal(t.wire(slot), 'a')
  assert.ok(t.live(slot, gen))
  t.release(slot)
  assert.equal(t.used, 0)
  assert.equal(t.live(slot, gen), false)
  assert.equal(t.add(entry('b')), slot, 'the slot is reused')
  assert.notEqual(t.gen(slot), gen)
  assert.equal(t.live(slot, gen), false, 'the old generation stays gone')
  t.setRetryAfter(slot, gen, 99)
  assert.equal(t.retryAfter(slot), 0, 'a write for the old entry does not reach the new one')
})

test('table: a last good entry lives as long as the entry keeping it', () => {
  const t = new EntryTable()
  const good = t.add(entry('good'))
  const bad = t.add(entry('nodata', false))
  t.keepLkg(bad, good)
  assert.equal(t.size(bad), 'nodata'.length + 'good'.length)
  t.release(good) // its LRU replaced it with `bad`
  assert.equal(t.used, 2)
  assert.equal(t.wire(t.lkg(bad)), 'good')
  t.release(bad)
  assert.equal(t.used, 0, 'both freed')
})

test('table: grows past its first slots and keeps what it held', () => {
  const t = new EntryTable()
  const slots = Array.from({ length: 300 }, (_, i) => t.add(entry(`e${i}`)))
  assert.deepEqual(slots.map((s) => t.wire(s)), slots.map((_, i) => `e${i}`))
  for (const s of slots) t.release(s)
  assert.equal(t.used, 0)
})

test('entries and the last good ones they keep free their slots as a flood evicts them', BOUNDED, async () => {
  let flipped = false
  const t = new Harness(
    'cache {\n success 1024\n denial 1024\n serve_stale\n serve_stale_policy prefer_positive\n}',
    (r) => r.name.startsWith('nx') ? reply(r, [], { rcode: Rcode.NXDomain, authority: [SOA] })
      : r.name.startsWith('flip') && flipped ? reply(r, [], { authority: [`${r.qname} 10 IN NS ns.example.net.`] })
      : reply(r, [`${r.qname} 10 IN A 192.0.2.1`]))
  for (let i = 0; i < 200; i++) await t.ask(`flip${i}.example.org`)
  flipped = true
  t.advance(11)
  // served stale and refreshed: each referral (a positive reply that answers nothing) keeps the
  // A entry it replaced
  for (let i = 0; i < 200; i++) await t.ask(`flip${i}.example.org`)
  await t.h.idle()
  const stored = () => t.cache.success.size + t.cache.denial.size
  assert.equal(t.cache.table.used, stored() + 200)
  assert.deepEqual((await t.ask('flip7.example.org')).data, ['192.0.2.1'], 'the last good answer')
  for (let i = 0; i < 3000; i++) await t.ask(`${i % 2 ? 'nx' : 'a'}${i}.example.org`)
  assert.equal(t.cache.table.used, stored(), 'evicted entries took their last good ones along')
  assert.ok(stored() <= 2048)
})

test('serve_stale verify: the stale answer is the entry it found, though its slot was reused', BOUNDED, async () => {
  const gate = Promise.withResolvers<void>()
  let fail = false
  const script = (r: Request): Answer | Promise<Answer> => {
    if (!r.name.startsWith('slow') || !fail) return reply(r, [`${r.qname} 10 IN A 192.0.2.7`])
    return gate.promise.then(() => Rcode.ServFail)
  }
  const t = new Harness('cache {\n success 1024\n serve_stale 1h verify\n}', script)
  await t.ask('slow.example.org')
  t.advance(11)
  fail = true
  const key = cacheKey(request('slow.example.org'))
  assert.ok(t.cache.success.has(key))
  const waiting = t.ask('slow.example.org')
  // meanwhile slow's entry is evicted and its slot taken by other names
  for (let i = 0; i < 1100; i++) await t.ask(`other${i}.example.org`)
  assert.equal(t.cache.success.has(key), false, 'evicted')
  gate.resolve()
  const stale = await waiting
  assert.equal(stale.msg.questions?.[0]?.name, 'slow.example.org')
  assert.deepEqual(stale.data, ['192.0.2.7'])
  assert.equal(stale.msg.answers?.[0]?.name, 'slow.example.org')
})
