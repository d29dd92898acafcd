// Property tests (fast-check): the Corefile loader and the plugins' parsers never throw anything
// but located CorefileErrors; the wire readers never throw anything but WireError and never
// hang; the server, fed hostile bytes through a real chain, never throws, never answers a
// response or a runt, and answers each query at most once, with the query's ID.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { CorefileError, CorefileErrors } from '../../src/corefile/errors.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import { Instance } from '../../src/server/instance.ts'
import { layout } from '../../src/wire/message.ts'
import { readName, WireError } from '../../src/wire/name.ts'
import { parseQuery, WireRequest } from '../../src/wire/request.ts'
import { scrub } from '../../src/wire/scrub.ts'
import { checkReply } from '../../plugins/forward/reply-check.ts'
import { typifyLayout } from '../../src/dns/response.ts'
import { buildQuery } from '../helpers/index.ts'
import { mutant, mutantReply, Rng, seedQueries } from './lib/fuzz.ts'

setLogSink(() => {})

const RUNS = Number(process.env.SOAK_PROP_RUNS ?? 2000)
const ENOENT = (f: string): never => {
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${f}'`),
    { code: 'ENOENT' })
}
const NO_FS = { env: { A: 'x', B: '{', C: '}' }, readFile: ENOENT, readDir: () => [] }

function located(err: unknown): boolean {
  const one = (e: unknown): boolean =>
    e instanceof CorefileError && e.line >= 1 && e.col >= 1 && e.file.length > 0
  return one(err) || (err instanceof CorefileErrors && err.errors.length > 0 &&
    err.errors.every(one))
}

/** Loads and builds; anything thrown must be a located error. */
function loadAndBuild(text: string): void {
  try {
    const { blocks } = loadCorefile({ file: 'Corefile', text }, NO_FS)
    Instance.build(blocks, { defaultPort: 53, dir: '/nonexistent' })
  } catch (err) {
    if (!located(err)) {
      throw new Error(`not a located CorefileError for ${JSON.stringify(text)}: ${String(err)}`,
        { cause: err })
    }
  }
}

// Tokens a Corefile is made of, including the ones that stress the lexer and the expansions.
const DIRECTIVES = ['cache', 'forward', 'hosts', 'template', 'acl', 'any', 'loadbalance', 'log',
  'errors', 'whoami', 'bind', 'health', 'ready', 'reload', 'loop', 'prometheus', 'import',
  'debug', 'root', 'nonsense']
const WORDS = ['.', 'example.org', '10.0.0.0/8', '127.0.0.1:53', 'tls://1.1.1.1', 'dns://.:53',
  '1s', '-5', '0', '99999999999', 'success', 'denial', 'serve_stale', 'prefetch', 'policy',
  'max_concurrent', 'IN', 'A', 'ANY', 'answer', 'match', '(?P<a>x)',
  '"{{ .Name }} 60 IN A 1.2.3.4"',
  '"{{ .Bad', 'allow', 'block', 'net', 'type', '*', '{$A}', '{$B}', '{%C%}', 'fallthrough',
  '"quoted with space"', '`back`', '\\', '"unterminated', '(snip)', 'a{', '}b', '#', ':', ':0',
  'xn--80ak6aa92e.com', '[::1]:53', 'except', 'max_fails', 'read_timeout', 'health_check']
const token = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...DIRECTIVES) },
  { weight: 5, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 3, arbitrary: fc.constantFrom('{', '}', '\n', '\n', ' ', '\t', '\r\n', '# c\n') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
)
const corefileText = fc.array(token, { maxLength: 60 }).map((ts) => ts.join(' '))
/** Well-formed blocks whose directives get random arguments: reaches the plugins' parsers. */
const corefileBlocks = fc.array(
  fc.tuple(
    fc.constantFrom('.', 'example.org:1053', 'dns://.:53', '10.0.0.0/24', 'a.b'),
    fc.array(fc.tuple(fc.constantFrom(...DIRECTIVES), fc.array(fc.constantFrom(...WORDS),
      { maxLength: 4 }), fc.option(fc.array(fc.array(fc.constantFrom(...WORDS), {
      minLength: 1, maxLength: 3 }), { maxLength: 3 }))), { maxLength: 5 }),
  ),
  { minLength: 1, maxLength: 3 },
).map((blocks) => blocks.map(([key, ds]) => `${key} {\n${ds.map(([d, args, body]) => {
  const inner = body ? ` {\n${body.map((l) => `    ${l.join(' ')}`).join('\n')}\n  }` : ''
  return `  ${d} ${args.join(' ')}${inner}`
}).join('\n')}\n}`).join('\n'))

test('Corefile loader: arbitrary text throws only located CorefileErrors', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => loadAndBuild(s)), { numRuns: RUNS })
  fc.assert(fc.property(corefileText, (s) => loadAndBuild(s)), { numRuns: RUNS })
})

test('plugin parsers: random arguments throw only located CorefileErrors', () => {
  fc.assert(fc.property(corefileBlocks, (s) => loadAndBuild(s)), { numRuns: RUNS })
})

const SEEDS = seedQueries(['example.org', 'soak.test'])
/** fast-check's bytes, and the soak fuzzer's mutants drawn from a fast-check seed. */
const hostile = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.integer({ min: 1, max: 0x7fffffff }).map((seed) => mutant(new Rng(seed), SEEDS)),
)

test('wire readers: parseQuery, layout and readName throw nothing but WireError', () => {
  let accepted = 0
  fc.assert(fc.property(hostile, (b) => {
    const r = parseQuery(b, 'udp')
    if (r instanceof WireRequest) {
      accepted++
      assert.ok(r.name.endsWith('.'))
      assert.ok(r.questionEnd <= b.length)
      assert.ok(r.size >= 512)
    } else {
      assert.equal(typeof r, 'number')
    }
    for (const read of [() => layout(b), () => readName(b, 12)]) {
      try {
        read()
      } catch (err) {
        assert.ok(err instanceof WireError, String(err))
      }
    }
  }), { numRuns: RUNS * 5 })
  assert.ok(accepted > RUNS / 10, `only ${accepted} hostile packets parsed as queries`)
})

test('reply handling: hostile upstream replies are checked, classified and scrubbed safely', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 0x7fffffff }), fc.boolean(), (seed, edns) => {
    const rng = new Rng(seed)
    const query = buildQuery(`n${seed}.example.org`, 'A', { edns })
    const req = parseQuery(query, 'udp') as WireRequest
    const good = Uint8Array.from(query)
    good[2]! |= 0x80
    const reply = mutantReply(rng, query, good)
    const why = checkReply(reply, req.id, query, req.questionEnd)
    assert.ok(why === undefined || ['malformed', 'id', 'question'].includes(why))
    try {
      typifyLayout(reply, layout(reply), 0)
    } catch (err) {
      assert.ok(err instanceof WireError, String(err))
    }
    const out = scrub(reply, req)
    assert.ok(out.length <= req.size, 'scrubbed reply fits the client')
    assert.equal((out[0]! << 8) | out[1]!, req.id)
  }), { numRuns: RUNS * 5 })
})

// The server with a real chain of plugins that answer without a network.
const CHAIN = `
example.org:53 {
  errors
  acl {
    block type AXFR
  }
  any
  cache 30
  loadbalance
  hosts {
    10.0.0.1 www.example.org
    fallthrough
  }
  template IN A example.org {
    match "^(?P<x>[a-z0-9-]+)[.]example[.]org[.]$"
    answer "{{ .Name }} 60 IN A 10.0.0.2"
    fallthrough
  }
  template ANY ANY {
    rcode NXDOMAIN
    authority "example.org. 60 IN SOA ns.example.org. h.example.org. 1 60 60 60 60"
  }
}
soak.test:53 {
  whoami
}
`

test('server: hostile packets through a real chain get at most one well-formed reply', async () => {
  const { blocks } = loadCorefile({ file: 'Corefile', text: CHAIN }, NO_FS)
  const inst = Instance.build(blocks, { defaultPort: 53, dir: '/nonexistent' })
  const server = inst.servers[0]!
  const local = { address: '127.0.0.1', port: 53, family: 4 as const }
  const remote = { address: '127.0.0.1', port: 40000, family: 4 as const }
  const rng = new Rng(Number(process.env.SOAK_SEED ?? 20261122))
  const replies = new Map<number, Uint8Array[]>()
  const sent: Uint8Array[] = []
  const n = RUNS * 10
  const proto = (i: number): 'udp' | 'tcp' => (i % 7 === 0 ? 'tcp' : 'udp')
  for (let i = 0; i < n; i++) {
    const q = mutant(rng, SEEDS)
    sent.push(Uint8Array.from(q)) // the server may patch the query in place
    const out: Uint8Array[] = []
    replies.set(i, out)
    server.handle(q, proto(i), local, remote, (w) => void out.push(w))
  }
  await new Promise((resolve) => setTimeout(resolve, 200)) // async plugins finish
  let answered = 0
  for (let i = 0; i < n; i++) {
    const q = sent[i]!
    const out = replies.get(i)!
    assert.ok(out.length <= 1, `packet ${i} got ${out.length} replies`)
    if (out.length === 0) continue
    answered++
    const r = out[0]!
    assert.ok(q.length >= 12 && (q[2]! & 0x80) === 0,
      `packet ${i}: a response or runt was answered`)
    assert.ok(r.length >= 12 && (r[2]! & 0x80) !== 0, `packet ${i}: reply without QR`)
    assert.deepEqual([r[0], r[1]], [q[0], q[1]], `packet ${i}: reply ID`)
    const req = parseQuery(q, proto(i))
    const size = req instanceof WireRequest ? req.size : 512
    assert.ok(r.length <= size, `packet ${i}: ${r.length}-byte reply, the client takes ${size}`)
  }
  assert.ok(answered > n / 4, `only ${answered} of ${n} answered`)
})
