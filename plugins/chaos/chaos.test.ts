import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { test } from 'node:test'
import { CorefileError } from '../../src/corefile/errors.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import { Instance } from '../../src/server/instance.ts'
import { version } from '../../src/cli/version.ts'
import { Recorder, nextHandler, request, testContext } from '../../test/dnstest.ts'
import {
  buildQuery,
  decode,
  dig,
  freePort,
  rcodeName,
  startTsdns,
} from '../../test/helpers/index.ts'
import { chaosHandler, type ChaosConfig } from './chaos.ts'
import { parseChaos } from './setup.ts'

setLogSink(() => {})

function parse(line: string): ChaosConfig {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${line}\n}\n` })
  return parseChaos(blocks[0]!.directives[0]!)
}

test('parses: defaults, a version, authors deduplicated and sorted, strings cut to 255', () => {
  assert.deepEqual(parse('chaos'), { version: `tsdns-${version}`, authors: ['tsdns'] })
  assert.deepEqual(parse('chaos v1.2'), { version: 'v1.2', authors: ['tsdns'] })
  assert.deepEqual(parse('chaos v1 miek bob miek alice'), {
    version: 'v1',
    authors: ['alice', 'bob', 'miek'],
  })
  assert.equal(parse(`chaos ${'x'.repeat(300)}`).version.length, 255)
})

test('fails: a block with a line in it (`{ }` starts, as in CoreDNS)', () => {
  assert.throws(
    () => parse('chaos v1 {\n    authors a\n}'),
    (err: unknown) => err instanceof CorefileError && err.code === 'COREFILE_UNKNOWN',
  )
})

function ask(cfg: ChaosConfig, name: string, klass = 'CH', type = 'TXT') {
  const w = new Recorder()
  const r = request(name, type, { class: klass })
  const rc = chaosHandler(cfg, nextHandler(5)).serveDNS(testContext, w, r)
  return { rc, w }
}

const firstText = (a: unknown) => String((a as { data: Buffer[] }).data[0])

const cfg: ChaosConfig = { version: 'CoreDNS-001', authors: ['alice', 'bob', 'miek'] }

const answers: Array<[string, string[]]> = [
  ['version.bind', ['CoreDNS-001']],
  ['version.server', ['CoreDNS-001']],
  ['VERSION.BIND', ['CoreDNS-001']],
  ['hostname.bind', [hostname()]],
  ['id.server', [hostname()]],
]
for (const [name, texts] of answers) {
  test(`CH TXT ${name}`, () => {
    const { rc, w } = ask(cfg, name)
    assert.equal(rc, 0)
    const m = w.msg
    assert.deepEqual(m.questions, [{ name, type: 'TXT', class: 'CH' }])
    assert.deepEqual(
      m.answers?.map((a) => {
        const txt = a as { class: string; ttl: number; data: Buffer[] }
        return [a.name, a.type, txt.class, txt.ttl, txt.data.map(String)]
      }),
      texts.map((t) => [name, 'TXT', 'CH', 0, [t]]),
    )
    assert.equal(w.by, 'chaos')
  })
}

test('authors.bind: one TXT per author, in random order', () => {
  const seen = new Set<string>()
  for (let i = 0; i < 30; i++) {
    const got = ask(cfg, 'authors.bind').w.msg.answers!.map(firstText)
    assert.deepEqual([...got].sort(), ['alice', 'bob', 'miek'])
    seen.add(got.join(','))
  }
  assert.ok(seen.size > 1, 'the order changes')
})

test('other names, classes and types go to the next plugin', () => {
  const others = [
    ['foo.bind', 'CH', 'TXT'],
    ['version.bind', 'IN', 'TXT'],
    ['version.bind', 'CH', 'A'],
  ] as const
  for (const [name, klass, type] of others) {
    const { rc, w } = ask(cfg, name, klass, type)
    assert.equal(rc, 5, `${name} ${klass} ${type}`)
    assert.equal(w.writes, 0)
  }
})

test('the server lets CH queries through to chaos (and refuses them without it)', async () => {
  const blocks = [
    ['chaos v9\n whoami', 'NOERROR'],
    ['whoami', 'REFUSED'],
  ] as const
  for (const [plugins, want] of blocks) {
    const loaded = loadCorefile({ file: 'Corefile', text: `. {\n ${plugins}\n}\n` })
    const inst = Instance.build(loaded.blocks, { defaultPort: 53, dir: '.' })
    const q = buildQuery('version.bind.', 'TXT', { class: 'CH' })
    const { wire } = await inst.servers[0]!.exchange(q)
    assert.equal(rcodeName(wire), want)
    if (want === 'NOERROR') assert.deepEqual(decode(wire).answers?.map(firstText), ['v9'])
  }
})

test('a repeated chaos, whoami or any stanza loads as in CoreDNS: the first one counts (dig)', async (t) => {
  // CoreDNS reads only the first stanza of these three (no ErrOnce); tsdns refused to start.
  const port = await freePort('both')
  const srv = await startTsdns({
    corefile: `.:${port} {\n bind 127.0.0.1\n chaos v1\n chaos v2\n any\n any example.org\n whoami\n whoami x\n}\n`,
  })
  t.after(() => srv.stop())
  const version = await dig({ port, name: 'version.bind', type: 'TXT', class: 'CH' })
  assert.equal(version.status, 'NOERROR')
  assert.deepEqual(
    version.answer.map((a) => a.data),
    ['"v1"'],
  )
  const any = await dig({ port, name: 'example.org', type: 'ANY' })
  assert.equal(any.answer[0]?.type, 'HINFO')
  const who = await dig({ port, name: 'example.org', type: 'A' })
  assert.equal(who.status, 'NOERROR')
  assert.ok(who.flags.includes('aa'))
  assert.equal(who.additional.find((a) => a.type === 'A')?.data, '127.0.0.1')
})
