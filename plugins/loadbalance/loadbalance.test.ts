import assert from 'node:assert/strict'
import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { logger } from '../../src/plugin/log.ts'
import { replyMsg } from '../../src/plugin/msg.ts'
import type { Handler } from '../../src/plugin/plugin.ts'
import { nextHandler, Recorder, request, testContext } from '../../test/dnstest.ts'
import { hostileFiles, MAX_REFUSAL_GROWTH, rssGrowth } from '../../test/helpers/hostile-files.ts'
import { rr } from '../../test/helpers/rr.ts'
import { Networks, parseNetwork } from '../../src/dns/networks.ts'
import { balanceMsg, balanceWire, type BalanceConfig } from './balance.ts'
import { LoadBalanceHandler } from './loadbalance.ts'
import { mathRand, type Rand, type Weights } from './policy.ts'
import { parseLoadBalance } from './setup.ts'
import { MAX_WEIGHT_FILE_BYTES, parseWeights, WeightFile } from './weights.ts'

const NO_WEIGHTS: Weights = new Map()
const roundRobin: BalanceConfig = {
  policy: 'round_robin',
  weights: () => NO_WEIGHTS,
  prefer: [],
  rand: mathRand,
}
const A = 1

// ---- replies as upstreams send them: owner names compressed to pointers -------------------------

function name(text: string): number[] {
  return [
    ...text
      .split('.')
      .filter(Boolean)
      .flatMap((l) => [l.length, ...Buffer.from(l)]),
    0,
  ]
}

interface WireRr {
  readonly owner: number[]
  readonly type: number
  readonly ttl: number
  readonly rdata: number[]
}

/** Header (QR RD RA, NOERROR), question example.org A at offset 12, then the answers; a Buffer,
 *  as forward and the cache hand them over. */
function upstream(answers: readonly WireRr[], rcode = 0): Uint8Array {
  const out = [
    0x12,
    0x34,
    0x81,
    0x80 | rcode,
    0,
    1,
    0,
    answers.length,
    0,
    0,
    0,
    0,
    ...name('example.org'),
    0,
    1,
    0,
    1,
  ]
  for (const r of answers) {
    out.push(
      ...r.owner,
      r.type >> 8,
      r.type & 255,
      0,
      1,
      ...[24, 16, 8, 0].map((s) => (r.ttl >>> s) & 255),
    )
    out.push(r.rdata.length >> 8, r.rdata.length & 255, ...r.rdata)
  }
  return Buffer.from(out)
}

const QNAME = [0xc0, 12]
const aRr = (last: number, ttl = 300, owner = QNAME): WireRr => ({
  owner,
  type: A,
  ttl,
  rdata: [192, 0, 2, last],
})

const text = (data: unknown) =>
  typeof data === 'object' && !Buffer.isBuffer(data) && !Array.isArray(data)
    ? JSON.stringify(data)
    : String(data)

function answers(wire: Uint8Array): string[] {
  return (dnsPacket.decode(Buffer.from(wire)).answers ?? []).map(
    (a) =>
      `${a.name} ${(a as { ttl: number }).ttl} ${a.type} ${text((a as { data: unknown }).data)}`,
  )
}

/** Runs `f` `runs` times, counting distinct outcomes (the odds of missing one are nil). */
function outcomes(runs: number, f: () => string): Map<string, number> {
  const seen = new Map<string, number>()
  for (let i = 0; i < runs; i++) {
    const k = f()
    seen.set(k, (seen.get(k) ?? 0) + 1)
  }
  return seen
}

test("round_robin on the wire: every order of one name's addresses, TTLs move along", () => {
  const seen = outcomes(600, () => {
    const wire = upstream([aRr(1, 10), aRr(2, 20), aRr(3, 30)])
    const out = balanceWire(roundRobin, wire, A)
    assert.equal(out, wire, 'reordered in place')
    return answers(out).join(' | ')
  })
  assert.equal(seen.size, 6)
  for (const order of seen.keys()) {
    const recs = order.split(' | ')
    assert.deepEqual([...recs].sort(), [
      'example.org 10 A 192.0.2.1',
      'example.org 20 A 192.0.2.2',
      'example.org 30 A 192.0.2.3',
    ])
  }
})

test('uncompressed owners (as CoreDNS upstreams send them) are compared as names', () => {
  const m = replyMsg(request('example.org'))
  m.answers = [1, 2, 3].map((i) => rr(`Example.org. 60 IN A 192.0.2.${i}`))
  const encoded = Buffer.from(dnsPacket.encode(m))
  const seen = outcomes(300, () => {
    const wire = Buffer.from(encoded)
    assert.equal(balanceWire(roundRobin, wire, A), wire, 'reordered in place')
    return answers(wire).join()
  })
  assert.equal(seen.size, 6)
})

test('addresses never change owner; pointers into moved records stay valid', () => {
  // www.example.org written once in full (offset 29), later records point at it
  const www = [3, ...Buffer.from('www'), 0xc0, 12]
  const wire = () =>
    upstream([
      { owner: QNAME, type: 5, ttl: 60, rdata: www },
      aRr(1, 60, [0xc0, 41]),
      aRr(2, 60, [0xc0, 41]),
      aRr(9, 60),
      aRr(8, 60),
    ])
  const seen = outcomes(300, () => {
    const out = balanceWire(roundRobin, wire(), A)
    const recs = answers(out)
    assert.equal(recs[0], 'example.org 60 CNAME www.example.org')
    for (const r of recs.slice(1))
      assert.match(
        r,
        /^(www\.example\.org 60 A 192\.0\.2\.[12]|example\.org 60 A 192\.0\.2\.[89])$/,
      )
    return recs.join()
  })
  assert.equal(seen.size, 4)
})

test('a CNAME after the addresses is moved first (decoded, reordered, encoded again)', () => {
  const wire = upstream([
    aRr(1),
    { owner: QNAME, type: 5, ttl: 60, rdata: name('target.example.net') },
    aRr(2),
  ])
  const out = balanceWire(roundRobin, wire, A)
  assert.notEqual(out, wire)
  const recs = answers(out)
  assert.equal(recs[0], 'example.org 60 CNAME target.example.net')
  assert.deepEqual(recs.slice(1).sort(), [
    'example.org 300 A 192.0.2.1',
    'example.org 300 A 192.0.2.2',
  ])
})

test('MX records are shuffled too; other records keep their slots', () => {
  const m = replyMsg(request('example.org', 'MX'))
  m.answers = [
    'example.org. 60 IN MX 10 a.example.org.',
    'example.org. 60 IN TXT "x"',
    'example.org. 60 IN MX 20 b.example.org.',
  ].map(rr)
  const wire = dnsPacket.encode(m)
  const seen = outcomes(200, () => {
    const recs = answers(balanceWire(roundRobin, Uint8Array.from(wire), 15))
    assert.equal(recs[1], 'example.org 60 TXT x')
    return recs.join()
  })
  assert.equal(seen.size, 2)
})

test('left alone: errors, single records, other sections with one record', () => {
  for (const wire of [upstream([aRr(1), aRr(2)], 3), upstream([aRr(1)]), upstream([])]) {
    const copy = Buffer.from(wire)
    assert.equal(balanceWire(roundRobin, wire, A), wire)
    assert.deepEqual(wire, copy)
  }
  const m = replyMsg(request('example.org'), 2)
  m.answers = [rr('example.org. 1 IN A 192.0.2.1'), rr('example.org. 1 IN A 192.0.2.2')]
  assert.equal(balanceMsg(roundRobin, m, A), m)
})

test("writeMsg: the message is reordered without touching the caller's arrays", () => {
  const m = replyMsg(request('example.org'))
  m.answers = [1, 2, 3, 4].map((i) => rr(`example.org. 1 IN A 192.0.2.${i}`))
  const before = [...m.answers]
  const seen = outcomes(400, () => {
    const out = balanceMsg(roundRobin, m, A)
    return out.answers!.map((a) => String((a as { data: unknown }).data)).join()
  })
  assert.equal(seen.size, 24)
  assert.deepEqual(m.answers, before)
})

test('prefer: addresses in the listed networks first, in list order, after the shuffle', () => {
  const nets = ['10.0.0.0/8', '192.0.2.0/24'].map((t) => {
    const n = new Networks()
    n.add(parseNetwork(t)!)
    return n
  })
  const cfg: BalanceConfig = { ...roundRobin, prefer: nets }
  const m = replyMsg(request('example.org'))
  m.answers = ['198.51.100.1', '192.0.2.1', '10.1.1.1', '198.51.100.2', '10.2.2.2'].map((ip) =>
    rr(`example.org. 1 IN A ${ip}`),
  )
  const seen = outcomes(200, () => {
    const ips = balanceMsg(cfg, m, A).answers!.map((a) => String((a as { data: unknown }).data))
    assert.deepEqual(
      ips
        .slice(0, 3)
        .map((ip) => ip.split('.')[0])
        .join(),
      '10,10,192',
    )
    return ips.join()
  })
  assert.equal(seen.size, 4, 'equal-rank addresses are still shuffled')
})

test('weighted: the top address follows the weights; CNAMEs first, the rest untouched', () => {
  const weights = parseWeights(
    '# comment\nexample.org\n192.0.2.1 3\n192.0.2.2 1\n\n192.0.2.3 2\n',
    'w',
  )
  const picks: number[] = []
  const rand: Rand = (n) => {
    assert.equal(n, 6)
    return picks.shift()!
  }
  const cfg: BalanceConfig = { policy: 'weighted', weights: () => weights, prefer: [], rand }
  const top = (v: number) => {
    picks.push(v)
    return answers(balanceWire(cfg, upstream([aRr(1), aRr(2), aRr(3)]), A))
      .map((r) => r.split('.').at(-1))
      .join()
  }
  assert.equal(top(0), '1,2,3')
  assert.equal(top(2), '1,2,3')
  assert.equal(top(3), '2,1,3')
  assert.equal(top(4), '3,2,1')
  assert.equal(top(5), '3,2,1')
  // only for A, AAAA and SRV questions
  assert.deepEqual(
    answers(balanceWire(cfg, upstream([aRr(1), aRr(2)]), 16)),
    answers(upstream([aRr(1), aRr(2)])),
  )
})

test('weighted with real randomness converges to the weights (3:1:2)', () => {
  const weights = parseWeights('example.org.\n192.0.2.1 3\n192.0.2.2 1\n192.0.2.3 2\n', 'w')
  const cfg: BalanceConfig = {
    policy: 'weighted',
    weights: () => weights,
    prefer: [],
    rand: mathRand,
  }
  const seen = outcomes(
    6000,
    () => answers(balanceWire(cfg, upstream([aRr(1), aRr(2), aRr(3)]), A))[0]!,
  )
  const share = (ip: number) => (seen.get(`example.org 300 A 192.0.2.${ip}`) ?? 0) / 6000
  assert.ok(
    Math.abs(share(1) - 0.5) < 0.05 &&
      Math.abs(share(2) - 1 / 6) < 0.05 &&
      Math.abs(share(3) - 1 / 3) < 0.05,
  )
})

test('weight file errors, as CoreDNS words them', () => {
  const cases: [string, RegExp][] = [
    [
      '192.0.2.1\n',
      /wrong domain name:"192.0.2.1" in weight file f\. \(Maybe a missing weight value\?\)/,
    ],
    ['example.org\nnot-an-ip 3\n', /wrong IP address:"not-an-ip" in weight file f/],
    ['example.org\n192.0.2.1 0\n', /wrong weight value:"0"/],
    ['example.org\n192.0.2.1 256\n', /wrong weight value:"256"/],
    ['192.0.2.1 3\n', /missing domain name in weight file f/],
    [
      'example.org\n192.0.2.1 3 x\n',
      /could not parse weight line:"192.0.2.1 3 x" in weight file f/,
    ],
  ]
  for (const [text, msg] of cases) assert.throws(() => parseWeights(text, 'f'), msg)
})

test('the weight file is read again only when its contents changed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsdns-lb-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'weights')
  const lines: string[] = []
  const log = { ...logger('loadbalance'), info: (m: string) => lines.push(m) }
  const file = new WeightFile(path)
  assert.equal(await file.load(log), 'ENOENT')
  writeFileSync(path, 'www.example.org\n192.0.2.1 7\n')
  assert.equal(await file.load(log), undefined)
  assert.equal(file.weights.get('www.example.org.')?.get('192,0,2,1'), 7)
  assert.equal(await file.load(log), undefined)
  assert.equal(lines.length, 1)
  writeFileSync(path, 'www.example.org\n192.0.2.1 bad\n')
  await assert.rejects(file.load(log), /wrong weight value/)
  assert.equal(file.weights.get('www.example.org.')?.get('192,0,2,1'), 7, 'the old weights stay')
})

test('reload: a refused weight file keeps the weights, said once until it changes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsdns-lb-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const said: string[] = []
  const log = {
    ...logger('loadbalance'),
    info: () => {},
    warning: (m: string) => void said.push(m),
    error: (m: string) => void said.push(m),
  }
  const growth = await rssGrowth(async () => {
    for (const [i, h] of hostileFiles(dir, MAX_WEIGHT_FILE_BYTES).entries()) {
      const path = join(dir, `weights-${i}`)
      writeFileSync(path, 'www.example.org\n192.0.2.1 7\n')
      const file = new WeightFile(path)
      assert.equal(await file.load(log), undefined)
      // now the weight file is /dev/zero, a FIFO or too large
      rmSync(path)
      if (h.path === '/dev/zero') symlinkSync(h.path, path)
      else renameSync(h.path, path)
      said.length = 0
      for (let i = 0; i < 3; i++) await file.reload(log)
      assert.equal(said.length, 1, `${h.what}: ${said.join('; ')}`)
      assert.match(said[0]!, h.error)
      assert.equal(file.weights.get('www.example.org.')?.get('192,0,2,1'), 7, h.what)
    }
  })
  assert.ok(growth < MAX_REFUSAL_GROWTH, `memory grew by ${growth} bytes`)
})

test('reload: a bad line is said once; a fixed file is taken', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsdns-lb-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'weights')
  const said: string[] = []
  const log = { ...logger('loadbalance'), info: () => {}, error: (m: string) => void said.push(m) }
  writeFileSync(path, 'www.example.org\n192.0.2.1 7\n')
  const file = new WeightFile(path)
  await file.reload(log)
  writeFileSync(path, 'www.example.org\n192.0.2.1 bad\n')
  for (let i = 0; i < 3; i++) await file.reload(log)
  assert.equal(said.length, 1)
  assert.equal(file.weights.get('www.example.org.')?.get('192,0,2,1'), 7)
  writeFileSync(path, 'www.example.org\n192.0.2.1 9\n')
  await file.reload(log)
  assert.equal(file.weights.get('www.example.org.')?.get('192,0,2,1'), 9)
})

test('the handler wraps the writer, except for zone transfers', () => {
  const writing: Handler = {
    name: 'forward',
    serveDNS: (_c, w) => {
      w.write(
        upstream([aRr(1), { owner: QNAME, type: 5, ttl: 1, rdata: name('x.example.org') }]),
        'forward',
      )
      return 0
    },
  }
  const h = new LoadBalanceHandler(roundRobin, writing)
  const w = new Recorder()
  assert.equal(h.serveDNS(testContext, w, request('example.org')), 0)
  assert.equal(answers(w.wire!)[0], 'example.org 1 CNAME x.example.org')
  const x = new Recorder()
  new LoadBalanceHandler(roundRobin, writing).serveDNS(
    testContext,
    x,
    request('example.org', 'AXFR'),
  )
  assert.equal(answers(x.wire!)[0], 'example.org 300 A 192.0.2.1')
  assert.equal(
    new LoadBalanceHandler(roundRobin, nextHandler(2)).serveDNS(
      testContext,
      new Recorder(),
      request('a.'),
    ),
    2,
  )
})

function parse(body: string) {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parseLoadBalance(
    blocks[0]!.directives.filter((d) => d.name.text === 'loadbalance'),
    { dir: '/etc/coredns' },
  )
}

test('parse', () => {
  assert.deepEqual(parse('loadbalance'), {
    policy: 'round_robin',
    weightFile: undefined,
    reloadMs: 30_000,
    prefer: [],
  })
  assert.equal(parse('loadbalance round_robin').policy, 'round_robin')
  assert.deepEqual(parse('loadbalance weighted db.weights {\n reload 10s\n}'), {
    policy: 'weighted',
    weightFile: '/etc/coredns/db.weights',
    reloadMs: 10_000,
    prefer: [],
  })
  assert.equal(parse('loadbalance weighted /w').weightFile, '/w')
  assert.equal(parse('loadbalance {\n prefer 10.0.0.0/8 fd00::/8\n}').prefer.length, 2)
})

test('parse errors point at the token', () => {
  const cases: [string, number, number, RegExp][] = [
    ['loadbalance random', 2, 13, /unknown policy: random/],
    ['loadbalance round_robin x', 2, 25, /unknown property for round_robin: 'x'/],
    ['loadbalance weighted', 2, 13, /missing weight file argument/],
    ['loadbalance weighted a b', 2, 24, /unexpected argument\(s\)/],
    ['loadbalance weighted a {\n reload\n}', 3, 2, /wrong argument count/],
    ['loadbalance weighted a {\n reload 10\n}', 3, 9, /invalid duration '10'/],
    ['loadbalance {\n reload 10s\n}', 3, 2, /unknown property 'reload'/],
    ['loadbalance {\n prefer 10.0.0.1\n}', 3, 9, /invalid CIDR "10.0.0.1"/],
    ['loadbalance {\n limit_answers 5\n}', 3, 2, /unknown property 'limit_answers'/],
  ]
  for (const [text, line, col, msg] of cases) {
    assert.throws(
      () => parse(text),
      (err: CorefileError) => err.line === line && err.col === col && msg.test(err.message),
      text,
    )
  }
})
