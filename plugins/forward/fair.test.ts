// The fairness rule of a forward's in-flight limit (fair.ts), driven without sockets.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FairShare, Ticket } from './fair.ts'

const FULL = new Error('full')

class Query extends Ticket {
  readonly from: string
  refused: Error | undefined
  constructor(from: string) {
    super()
    this.from = from
  }
  preempt(err: Error): void {
    this.refused = err
  }
}

function table(limit: number, windowMs = 2000) {
  const shed = { value: 0 }
  const fair = new FairShare(limit, windowMs, shed)
  /** A query from `from`, in flight when admitted; undefined when refused. */
  const ask = (from: string): Query | undefined => {
    const s = fair.take(from, FULL)
    if (s === undefined) return undefined
    const q = new Query(from)
    fair.attach(q, s)
    return q
  }
  return { fair, shed, ask }
}

test('a lone source may use the whole limit; beyond it, it is refused', () => {
  const { fair, shed, ask } = table(4)
  const qs = [ask('a'), ask('a'), ask('a'), ask('a')]
  assert.ok(qs.every((q) => q !== undefined))
  assert.equal(ask('a'), undefined)
  assert.equal(fair.inflight, 4)
  assert.equal(shed.value, 0)
})

test('a newcomer takes the busiest source\'s oldest slot; that query is answered at once', () => {
  const { fair, shed, ask } = table(4)
  const [a1, a2, a3] = [ask('a'), ask('a'), ask('a')]
  const b1 = ask('b')!
  const c1 = ask('c')!
  assert.equal(a1!.refused, FULL, 'the oldest of the busiest source is preempted')
  assert.equal(a2!.refused, undefined)
  assert.equal(a3!.refused, undefined)
  assert.equal(b1.refused, undefined)
  assert.deepEqual([fair.count('a'), fair.count('b'), fair.count('c')], [2, 1, 1])
  assert.equal(fair.inflight, 4)
  assert.equal(shed.value, 1)
  // a preempted query's own end later changes nothing
  fair.release(a1!)
  assert.equal(fair.inflight, 4)
  assert.equal(c1.refused, undefined)
})

test('no ping-pong: a source one below the busiest is refused, not preempting', () => {
  const { fair, shed, ask } = table(5)
  ask('a'), ask('a'), ask('a'), ask('b'), ask('b')
  assert.equal(ask('b'), undefined, 'b (2) + 1 is not below a (3)')
  assert.equal(shed.value, 0)
  const c = ask('c')!
  assert.ok(c)
  assert.deepEqual([fair.count('a'), fair.count('b'), fair.count('c')], [2, 2, 1])
  // now every source is within one of the busiest: the table is fair, overflow is refused
  assert.equal(ask('c'), undefined)
  assert.equal(ask('b'), undefined)
  assert.equal(ask('d')!.from, 'd', 'a source with nothing in flight still gets in')
  assert.equal(shed.value, 2)
})

test('releases keep the busiest count right and empty sources leave the table', () => {
  const { fair, ask } = table(3)
  const a = [ask('a')!, ask('a')!]
  const b = ask('b')!
  fair.release(a[0]!)
  fair.release(a[1]!)
  assert.equal(fair.sources, 1)
  // b is now the busiest with 1: a newcomer with 0 cannot preempt it (0 + 1 is not below 1)
  ask('b'), ask('b')
  assert.equal(fair.count('b'), 3)
  assert.equal(ask('c')!.from, 'c')
  assert.equal(b.refused, FULL, 'b\'s oldest went')
  assert.equal(fair.count('b'), 2)
  fair.release(b)
  assert.equal(fair.count('b'), 2, 'released twice: no effect')
})

test('one flooder and many clients: every client gets a slot, the flooder keeps the rest', () => {
  const { fair, shed, ask } = table(100)
  for (let i = 0; i < 1000; i++) ask('flood')
  assert.equal(fair.count('flood'), 100)
  const clients = Array.from({ length: 10 }, (_, i) => ask(`10.0.0.${i}`))
  assert.ok(clients.every((q) => q !== undefined && q.refused === undefined))
  assert.equal(fair.count('flood'), 90)
  assert.equal(shed.value, 10)
  assert.equal(fair.sources, 11)
})

test('preemptions are capped at the limit per window (their sockets linger)', () => {
  const { fair, shed, ask } = table(2, 60_000)
  const outcomes: boolean[] = []
  for (let round = 0; round < 4; round++) {
    const held = [ask('a')!, ask('a')!]
    const n = ask(`n${round}`)
    outcomes.push(n !== undefined)
    for (const q of [...held, n]) if (q !== undefined) fair.release(q)
  }
  assert.deepEqual(outcomes, [true, true, false, false])
  assert.equal(shed.value, 2)
  assert.equal(fair.inflight, 0)
  assert.equal(fair.sources, 0)
})
