import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FrameReader } from './frame-reader.ts'

const SIZES = [0, 1, 12, 511, 512, 513, 3_000, 65_535, 0, 40]

/** The messages of SIZES, each filled with its own index, and the stream that frames them. */
function stream(): { msgs: Buffer[]; bytes: Buffer } {
  const msgs = SIZES.map((n, i) => Buffer.alloc(n, i + 1))
  const framed = msgs.map((m) => {
    const f = Buffer.alloc(2 + m.length)
    f.writeUInt16BE(m.length, 0)
    m.copy(f, 2)
    return f
  })
  return { msgs, bytes: Buffer.concat(framed) }
}

/** Feeds `bytes` cut at `cuts`, taking every whole message after each chunk. */
function read(bytes: Buffer, cuts: number[], watch?: (r: FrameReader, received: number) => void):
  Buffer[] {
  const r = new FrameReader()
  const out: Buffer[] = []
  const ends = [...cuts, bytes.length]
  let from = 0
  for (const to of ends) {
    r.push(Buffer.from(bytes.subarray(from, to))) // a fresh buffer per chunk, as a socket's
    from = to
    while (r.ready() >= 0) out.push(r.take())
    watch?.(r, to)
  }
  assert.equal(r.held, 0)
  return out
}

test('messages come out whole however the stream is cut', () => {
  const { msgs, bytes } = stream()
  assert.deepEqual(read(bytes, []), msgs, 'one chunk')
  // every cut of the first 600 bytes: lengths split, bodies split, several messages per chunk
  for (let cut = 1; cut < 600; cut++) assert.deepEqual(read(bytes, [cut]), msgs, `cut at ${cut}`)
  let seed = 7
  const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
  for (let round = 0; round < 50; round++) {
    const cuts: number[] = []
    for (let at = 1 + rand(700); at < bytes.length; at += 1 + rand(700)) cuts.push(at)
    assert.deepEqual(read(bytes, cuts), msgs, `round ${round}`)
  }
})

test('one byte per chunk: whole, and held stays near what was received', () => {
  const { msgs, bytes } = stream()
  const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)
  let taken = 0
  let sinceTaken = 0
  const out = read(bytes, cuts, (r, received) => {
    sinceTaken = received - taken
    if (r.held === 0) taken = received
    // a message being assembled holds at most twice its bytes so far, or the first 512
    assert.ok(r.held <= Math.max(512, 2 * sinceTaken), `held ${r.held} after ${sinceTaken}`)
  })
  assert.deepEqual(out, msgs)
})

test('a length announcing 65,535 bytes does not make the reader hold them', () => {
  const r = new FrameReader()
  r.push(Buffer.from([0xff, 0xff, 1]))
  assert.equal(r.ready(), -1)
  assert.equal(r.held, 512)
})

test('a message left untaken stays valid while the next chunk is parsed', () => {
  const r = new FrameReader()
  r.push(Buffer.from([0, 2, 1, 2, 0, 3, 3]))
  assert.equal(r.ready(), 2)
  const first = r.take()
  assert.equal(r.ready(), -1)
  r.push(Buffer.from([3, 3, 0, 1, 4]))
  assert.equal(r.ready(), 3)
  // the consumer stops here (a paused socket) and more arrives before it takes the rest
  r.push(Buffer.from([0, 1]))
  assert.deepEqual(r.take(), Buffer.from([3, 3, 3]))
  assert.equal(r.ready(), 1)
  assert.deepEqual(r.take(), Buffer.from([4]))
  assert.equal(r.ready(), -1) // the length of the next is read, its byte not yet
  r.push(Buffer.from([5]))
  assert.equal(r.ready(), 1)
  assert.deepEqual(r.take(), Buffer.from([5]))
  assert.equal(r.held, 0)
  assert.deepEqual(first, Buffer.from([1, 2]))
})
