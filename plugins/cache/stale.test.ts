import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Request } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { Harness, reply, SOA, type Answer } from './testkit.ts'

/** A refresh that never settles must fail the test, not hang the run. */
const BOUNDED = { timeout: 5000 }

/**
 * What the scripted upstream does next: answer (TTL 10, a new address each time), fail, or hold
 * its answers until the test calls release().
 */
class Upstream {
  mode: 'answer' | 'servfail' | 'error' | 'nxdomain' | 'held' = 'answer'
  n = 0
  held = 0
  readonly #gate = Promise.withResolvers<void>()

  release(): void {
    this.#gate.resolve()
  }

  readonly script = (r: Request): Answer | Promise<Answer> => {
    switch (this.mode) {
      case 'answer':
        return reply(r, [`${r.qname} 10 IN A 192.0.2.${++this.n}`])
      case 'servfail':
        return reply(r, [], { rcode: Rcode.ServFail })
      case 'error':
        return Rcode.ServFail
      case 'nxdomain':
        return reply(r, [], { rcode: Rcode.NXDomain, authority: [SOA] })
      case 'held':
        this.held++
        return this.#gate.promise.then(() => reply(r, [`${r.qname} 10 IN A 192.0.2.${++this.n}`]))
    }
  }
}

function setup(corefile: string): { t: Harness; up: Upstream } {
  const up = new Upstream()
  return { t: new Harness(corefile, up.script), up }
}

test('serve_stale immediate: expired, answered with TTL 0, refreshed behind', BOUNDED, async () => {
  const { t } = setup('cache {\n serve_stale\n}')
  await t.ask('s.example.org')
  t.advance(11)
  const stale = await t.ask('s.example.org')
  assert.deepEqual(stale.data, ['192.0.2.1'])
  assert.deepEqual(stale.ttls, [0])
  assert.equal(stale.w.by, 'cache')
  assert.equal(t.cells.servedStale.value, 1)
  assert.equal(t.cells.prefetches.value, 1, 'the refresh counts as a prefetch, as in CoreDNS')
  assert.equal(t.up.queries[1]!.proto, 'tcp', 'a background refresh goes over TCP (CoreDNS prefetchAddr)')
  await t.h.idle()
  const fresh = await t.ask('s.example.org')
  assert.deepEqual(fresh.data, ['192.0.2.2'])
  assert.deepEqual(fresh.ttls, [10])
  assert.equal(t.up.queries.length, 2)
})

test('serve_stale immediate: upstream failing, stale up to DURATION', BOUNDED, async () => {
  const { t, up } = setup('cache {\n serve_stale 1m\n}')
  await t.ask('down.example.org')
  for (const mode of ['servfail', 'error'] as const) {
    up.mode = mode
    t.advance(20)
    const stale = await t.ask('down.example.org')
    assert.equal(stale.rcode, 'NOERROR', mode)
    assert.deepEqual(stale.data, ['192.0.2.1'])
    await t.h.idle()
  }
  assert.equal(t.up.queries.length, 3, 'each stale hit retried (no FAILURE_RECHECK)')
  t.advance(40) // 70 s after expiry: past DURATION
  up.mode = 'servfail'
  const gone = await t.ask('down.example.org')
  assert.equal(gone.rcode, 'SERVFAIL')
  assert.equal(gone.w.by, 'forward')
})

test('serve_stale RESPONSE_TTL 30s, FAILURE_RECHECK 10s', BOUNDED, async () => {
  const { t, up } = setup('cache {\n serve_stale 1h immediate 30s 10s\n}')
  await t.ask('r.example.org')
  up.mode = 'servfail'
  t.advance(11)
  assert.deepEqual((await t.ask('r.example.org')).ttls, [30])
  await t.h.idle()
  t.advance(9)
  await t.ask('r.example.org')
  await t.h.idle()
  assert.equal(t.up.queries.length, 2, 'within FAILURE_RECHECK: no new refresh')
  t.advance(1)
  up.mode = 'answer'
  await t.ask('r.example.org')
  await t.h.idle()
  assert.equal(t.up.queries.length, 3)
  assert.deepEqual((await t.ask('r.example.org')).data, ['192.0.2.2'])
})

test('serve_stale verify: upstream first, stale only when it fails', BOUNDED, async () => {
  const { t, up } = setup('cache {\n serve_stale 1h verify\n}')
  await t.ask('v.example.org')
  t.advance(11)
  const fresh = await t.ask('v.example.org')
  assert.deepEqual(fresh.data, ['192.0.2.2'])
  assert.deepEqual(fresh.ttls, [10])
  assert.equal(fresh.msg.flag_aa, false, 'the verified reply keeps the upstream AA, as CoreDNS')
  assert.equal(t.up.queries[1]!.proto, 'udp', "verify asks over the waiting client's protocol, as CoreDNS")
  assert.equal(t.cells.servedStale.value, 0)
  t.advance(11)
  up.mode = 'servfail'
  const stale = await t.ask('v.example.org')
  assert.deepEqual(stale.data, ['192.0.2.2'])
  assert.deepEqual(stale.ttls, [0])
  assert.equal(stale.msg.flag_aa, true, 'answered from the cache')
  assert.equal(t.cells.servedStale.value, 1)
  up.mode = 'nxdomain' // RFC 8767: NXDOMAIN is a refresh, not a failure
  const gone = await t.ask('v.example.org')
  assert.equal(gone.rcode, 'NXDOMAIN')
  assert.equal(t.up.queries.length, 4)
  assert.equal(t.cells.prefetches.value, 0)
})

test('serve_stale verify TIMEOUT: stale at the deadline, refreshed behind', BOUNDED, async () => {
  const { t, up } = setup('cache {\n serve_stale 1h verify 20ms\n}')
  await t.ask('slow.example.org')
  t.advance(11)
  up.mode = 'held'
  // The upstream cannot answer before release(): only the 20ms deadline can end this query.
  const stale = await t.ask('slow.example.org')
  assert.equal(up.held, 1, 'the refresh reached the upstream')
  assert.equal(up.n, 1, 'answered before the upstream replied')
  assert.deepEqual(stale.data, ['192.0.2.1'])
  up.release()
  await t.h.idle()
  assert.deepEqual((await t.ask('slow.example.org')).data, ['192.0.2.2'])
})

test('serve_stale verify: concurrent queries share the refresh in flight', BOUNDED, async () => {
  const { t, up } = setup('cache {\n serve_stale 1h verify\n}')
  await t.ask('join.example.org')
  t.advance(11)
  up.mode = 'held'
  const asked = [1, 2, 3].map(() => t.ask('join.example.org'))
  assert.equal(up.held, 1, 'one refresh in flight for all three')
  up.release()
  const answers = await Promise.all(asked)
  assert.deepEqual(answers.map((a) => a.data), [['192.0.2.2'], ['192.0.2.2'], ['192.0.2.2']])
  assert.equal(t.up.queries.length, 2)
})

test('prefer_positive immediate: NXDOMAIN does not replace the last answer', BOUNDED, async () => {
  for (const policy of [true, false]) {
    const extra = policy ? ' serve_stale_policy prefer_positive\n' : ''
    const { t, up } = setup(`cache {\n serve_stale 1m\n${extra}}`)
    await t.ask('lkg.example.org')
    up.mode = 'nxdomain'
    t.advance(11)
    await t.ask('lkg.example.org')
    await t.h.idle()
    const after = await t.ask('lkg.example.org')
    if (policy) {
      assert.deepEqual(after.data, ['192.0.2.1'])
      assert.deepEqual(after.ttls, [0])
    } else {
      assert.equal(after.rcode, 'NXDOMAIN')
    }
  }
})

test('prefer_positive verify: a denial is answered with the stale positive', BOUNDED, async () => {
  const { t, up } = setup('cache {\n serve_stale 1h verify\n serve_stale_policy prefer_positive\n}')
  await t.ask('keep.example.org')
  up.mode = 'nxdomain'
  t.advance(11)
  const kept = await t.ask('keep.example.org')
  assert.deepEqual(kept.data, ['192.0.2.1'])
  assert.equal(t.cells.servedStale.value, 1)
  up.mode = 'answer'
  t.advance(1)
  const replaced = await t.ask('keep.example.org')
  assert.deepEqual(replaced.data, ['192.0.2.2'], 'a real answer still replaces it')
})

test('prefer_positive keeps the last answer beside a non-answering NOERROR', BOUNDED, async () => {
  let dangling = false
  const t = new Harness('cache {\n serve_stale 1h\n serve_stale_policy prefer_positive\n}', (r) =>
    dangling
      ? reply(r, [`${r.qname} 10 IN CNAME gone.example.net.`])
      : reply(r, [`${r.qname} 10 IN CNAME www.example.net.`, 'www.example.net. 10 IN A 192.0.2.7']))
  await t.ask('alias.example.org')
  dangling = true
  t.advance(11)
  await t.ask('alias.example.org')
  await t.h.idle()
  const after = await t.ask('alias.example.org')
  assert.deepEqual(after.data, ['www.example.net', '192.0.2.7'])
  assert.deepEqual(after.ttls, [0, 0])
  assert.equal(t.up.queries.length, 3, 'the stale answer it serves is refreshed again')
})

test('serve_stale: a new name replaces its stale NXDOMAIN (coredns#3586)', BOUNDED, async () => {
  const { t, up } = setup('cache {\n serve_stale 1h\n}')
  up.mode = 'nxdomain'
  await t.ask('new.example.org')
  up.mode = 'answer'
  t.advance(301) // the NXDOMAIN (its SOA's TTL 300) is stale
  assert.equal((await t.ask('new.example.org')).rcode, 'NXDOMAIN')
  await t.h.idle()
  for (let i = 0; i < 3; i++) assert.deepEqual((await t.ask('new.example.org')).data, ['192.0.2.1'])
  assert.equal(t.up.queries.length, 2)
})
