import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { answerData, buildQuery, decode } from '../../test/helpers/index.ts'
import type { Handler } from '../plugin/plugin.ts'
import { DnsServer } from './server.ts'
import { CLOSE_MAX_MS, closeClock, FLUSH_MS, InFlight, UdpListener } from './udp.ts'

/** Answers `<ms>-label.test` after that many ms (other names at once) with an A record of `ip`. */
function delayed(ip: string, written?: () => void): Handler {
  return {
    name: 'delayed',
    serveDNS(_ctx, w, r) {
      const write = (): number => {
        const q = r.msg.questions![0]!
        const answers = [{ name: q.name, type: 'A' as const, ttl: 1, data: ip }]
        w.writeMsg({ ...r.msg, type: 'response', answers }, 'delayed')
        written?.()
        return 0
      }
      const ms = Number(r.name.split('-')[0])
      return ms > 0 ? sleep(ms).then(write) : write()
    },
  }
}

async function listener(ip: string, port = 0, written?: () => void): Promise<UdpListener> {
  const server = new DnsServer({ host: '127.0.0.1', port, allowOtherClasses: false })
  server.addZone('.', delayed(ip, written))
  const udp = new UdpListener('127.0.0.1', port, server)
  await udp.listen()
  return udp
}

interface Got {
  readonly name: string
  readonly ip: string | undefined
}

/** n client sockets (the kernel spreads them over a reusePort group by their ports). */
async function clients(n: number, port: number) {
  const got: Got[] = [] // in order of arrival
  const open = (): Promise<dgram.Socket> => new Promise((resolve) => {
    const s = dgram.createSocket('udp4')
    s.on('message', (m) => {
      const d = decode(m)
      got.push({ name: d.questions![0]!.name, ip: answerData(d)[0] })
    })
    s.bind(0, '127.0.0.1', () => resolve(s))
  })
  const socks = await Promise.all(Array.from({ length: n }, open))
  return {
    got,
    send: (i: number, name: string): Promise<void> => new Promise((resolve) =>
      socks[i]!.send(buildQuery(name), port, '127.0.0.1', () => resolve())),
    async wait(count: number): Promise<void> {
      for (let i = 0; i < 200 && got.length < count; i++) await sleep(10)
    },
    close: () => socks.forEach((s) => s.close()),
  }
}

test('close answers every query it took: queued ones, and one waiting 300 ms for its answer',
  async (t) => {
    const udp = await listener('192.0.2.1')
    const c = await clients(1, udp.port)
    t.after(c.close)
    const sent = [c.send(0, '300-slow.test')]
    for (let i = 0; i < 50; i++) sent.push(c.send(0, `q${i}.test`))
    await Promise.all(sent)
    await udp.close()
    await c.wait(51)
    assert.equal(c.got.length, 51)
    assert.ok(c.got.some((g) => g.name === '300-slow.test'), 'the slow answer')
  })

test('closing one of a reusePort pair: the other takes new queries, answers go out at once',
  async (t) => {
    const a = await listener('192.0.2.1')
    const b = await listener('192.0.2.2', a.port)
    t.after(() => b.close())
    const n = 16
    const c = await clients(n, a.port)
    t.after(c.close)
    for (let i = 0; i < n; i++) {
      await Promise.all([c.send(i, `1000-slow${i}.test`), c.send(i, `150-mid${i}.test`)])
    }
    await sleep(50) // all taken
    const closing = a.close()
    await sleep(300) // the mid answers are out by now, a is out of the group
    for (let i = 0; i < n; i++) await c.send(i, `new${i}.test`)
    await closing
    await c.wait(3 * n)
    assert.equal(c.got.length, 3 * n, JSON.stringify(c.got))
    const fromA = (prefix: string): number[] =>
      c.got.flatMap((g, i) => (g.name.startsWith(prefix) && g.ip === '192.0.2.1' ? [i] : []))
    // 16 client ports all hashed to b: 1 in 65,536
    assert.ok(fromA('1000-slow').length > 0, 'a took none of the queries')
    assert.deepEqual(c.got.filter((g) => g.name.startsWith('new')).map((g) => g.ip),
      Array(n).fill('192.0.2.2'), 'new queries went to b')
    // parked until the next flush, not until the close ends (when the slow ones are answered)
    const firstNew = c.got.findIndex((g) => g.name.startsWith('new'))
    assert.ok(fromA('150-mid').every((i) => i < firstNew), 'a held its answers back')
  })

test('an answer later than CLOSE_MAX_MS ends the wait at the cap and is dropped, not a crash',
  async (t) => {
    // The close's rounds run on a clock of their own: each one moves it FLUSH_MS, at once.
    let now = 0
    const real = { ...closeClock }
    closeClock.now = () => now
    closeClock.round = () => new Promise((resolve) => setImmediate(() => resolve((now += FLUSH_MS))))
    t.after(() => Object.assign(closeClock, real))
    let received!: () => void
    const inHandler = new Promise<void>((resolve) => (received = resolve))
    let answer!: () => void
    const late = new Promise<void>((resolve) => (answer = resolve))
    const server = new DnsServer({ host: '127.0.0.1', port: 0, allowOtherClasses: false })
    server.addZone('.', {
      name: 'late',
      serveDNS(ctx, w, r) {
        received()
        return late.then(() => delayed('192.0.2.1').serveDNS(ctx, w, r))
      },
    })
    const udp = new UdpListener('127.0.0.1', 0, server)
    await udp.listen()
    const c = await clients(1, udp.port)
    t.after(c.close)
    await c.send(0, 'late.test')
    await inHandler
    await udp.close() // the query stays in flight: only the cap can end the close
    assert.ok(now >= CLOSE_MAX_MS && now <= CLOSE_MAX_MS + 2 * FLUSH_MS, `closed after ${now} ms`)
    answer() // written after the close: must not throw
    await sleep(50)
    assert.deepEqual(c.got, [])
  })

test('InFlight: a count lives until done or for 5 to 6 ticks, and is forgotten then', () => {
  const f = new InFlight()
  const answered = f.take()
  const never = f.take()
  f.done(answered)
  assert.equal(f.count, 1)
  for (let i = 0; i < 5; i++) f.tick()
  const recent = f.take()
  assert.equal(f.count, 2)
  f.tick() // the first slot comes round again
  assert.equal(f.count, 1)
  f.done(never) // too late: must not count against the slot's new queries
  assert.equal(f.count, 1)
  f.done(recent)
  assert.equal(f.count, 0)
})

test('a listener on every address answers IPv4 and IPv6 clients; plugins see IPv4 unmapped', async (t) => {
  const seen: string[] = []
  const server = new DnsServer({ host: '', port: 0, allowOtherClasses: false })
  server.addZone('.', {
    name: 'who',
    serveDNS(_ctx, w, r) {
      seen.push(`${w.remote.address} ${w.remote.family}`)
      return delayed('192.0.2.7').serveDNS(_ctx, w, r)
    },
  })
  const udp = new UdpListener('', 0, server)
  await udp.listen()
  try {
    for (const [type, host] of [['udp4', '127.0.0.1'], ['udp6', '::1']] as const) {
      const s = dgram.createSocket(type)
      t.after(() => s.close())
      const answer = new Promise<Buffer>((resolve) => s.once('message', resolve))
      await new Promise<void>((resolve) => s.bind(0, host, resolve))
      s.send(buildQuery(`0-${type}.test`), udp.port, host)
      const d = decode(await Promise.race([answer, sleep(2000, undefined, { ref: false }).then(() => assert.fail(`no answer over ${type}`))]))
      assert.deepEqual(answerData(d), ['192.0.2.7'])
    }
    assert.deepEqual(seen, ['127.0.0.1 4', '::1 6'])
  } finally {
    await udp.close()
  }
})
