// A real tsdns process with status: a known workload over UDP, then /status.json, /status and
// `tsdns top` read it back.

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { drop, makeTempDir, removeTempDir, sleep, TSDNS_MAIN } from '../../test/helpers/index.ts'
import type { StatusModel } from './model.ts'
import { queryFrom, startStatusServer, workload, type StatusServer } from './testkit.ts'

const run = promisify(execFile)
let s: StatusServer

before(async () => {
  s = await startStatusServer()
  await workload(s.dnsPort)
})
after(() => s.stop())

async function get(path: string): Promise<Response> {
  return fetch(`http://${s.addr}${path}`)
}

test('/status.json: the numbers of the workload', async () => {
  const res = await get('/status.json')
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /application\/json/)
  const m = (await res.json()) as StatusModel
  assert.equal(m.blocks.length, 1)
  const w = m.blocks[0]!.windows['1m']
  assert.equal(w.queries, 24)
  assert.deepEqual(w.rcodes, { NOERROR: 22, NXDOMAIN: 2 })
  assert.deepEqual(w.did, { cached: 19, forwarded: 5, local: 0, unanswered: 0 })
  assert.deepEqual(w.clients.queries.top[0], { key: '127.0.0.2', count: 20, error: 0 })
  assert.deepEqual(w.clients.nxdomain.top, [{ key: '127.0.0.3', count: 2, error: 0 }])
  assert.deepEqual(w.names.queries.top[0], { key: 'www.example.com.', count: 20, error: 0 })
  const waste = w.searchPath.clients[0]!
  assert.deepEqual([waste.client, waste.wasted, waste.queries, waste.names], ['127.0.0.3', 2, 3, ['api.github.com']])
  const up = m.upstreams['1m'].find((u) => u.to === s.upstream.addr)
  assert.ok(up && up.answers === 5 && up.health === 'ok', JSON.stringify(m.upstreams))
  assert.match(m.config.corefile, /status 127\.0\.0\.1:/)
  assert.equal(m.config.reloads[0]?.event, 'started')
  assert.equal(m.config.hash.length, 128)
})

test('/status is one self-contained page', async () => {
  const res = await get('/status')
  assert.match(res.headers.get('content-type') ?? '', /text\/html/)
  const html = await res.text()
  assert.match(html, /<title>tsdns status<\/title>/)
  assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//, 'no external assets')
  assert.match(html, /fetch\('status\.json'/)
})

test('tsdns top -once prints the screen; -json the model', async () => {
  const once = await run(process.execPath, [TSDNS_MAIN, 'top', '-addr', s.addr, '-once'])
  assert.match(once.stdout, /^tsdns top - 127\.0\.0\.1:\d+ /)
  assert.match(once.stdout, /127\.0\.0\.2\s+20\s/)
  assert.match(once.stdout, /search-path waste: 2 NXDOMAIN/)
  assert.match(once.stdout, /127\.0\.0\.3\s+2\s+66\.7%\s+api\.github\.com/)
  const json = await run(process.execPath, [TSDNS_MAIN, 'top', '-addr', s.addr, '-json'])
  assert.equal((JSON.parse(json.stdout) as StatusModel).blocks[0]!.windows['1m'].queries, 24)
  await assert.rejects(run(process.execPath, [TSDNS_MAIN, 'top', '-addr', '127.0.0.1:1', '-once']),
    /tsdns top: http:\/\/127\.0\.0\.1:1\/status\.json: .*ECONNREFUSED/)
})

test('tsdns check warns when status is reachable from pods', async () => {
  const dir = makeTempDir('status-check')
  try {
    const file = join(dir, 'Corefile')
    writeFileSync(file, '.:1053 {\n    status :9154\n    whoami\n}\n')
    const out = await run(process.execPath, [TSDNS_MAIN, 'check', file])
    assert.match(out.stdout + out.stderr, /\[WARNING\] plugin\/status: listening on :9154: client addresses/)
    writeFileSync(file, '.:1053 {\n    status\n    whoami\n}\n')
    const quiet = await run(process.execPath, [TSDNS_MAIN, 'check', file])
    assert.doesNotMatch(quiet.stdout + quiet.stderr, /WARNING/)
  } finally {
    removeTempDir(dir)
  }
})

/** /status.json of `addr` once `ok` holds for it; polled every 200 ms for at most `ms`. */
async function modelWhen(addr: string, ok: (m: StatusModel) => boolean, ms: number): Promise<StatusModel> {
  let m: StatusModel | undefined
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
    m = (await (await fetch(`http://${addr}/status.json`)).json()) as StatusModel
    if (ok(m)) return m
  }
  assert.fail(`not within ${ms} ms: ${JSON.stringify(m?.config.reloads ?? m)} ${JSON.stringify(m?.upstreams)}`)
}

describe('across reloads and upstream failures (a tsdns with the reload plugin)', () => {
  let life: StatusServer
  before(async () => {
    life = await startStatusServer('reload 2s 1s')
  })
  after(() => life.stop())

  /** The Corefile on disk with `from` replaced, for the reload plugin to find. */
  const edit = (from: string, to: string): void => {
    const text = readFileSync(life.tsdns.confPath, 'utf8')
    assert.ok(text.includes(from), text)
    writeFileSync(life.tsdns.confPath, text.replace(from, to))
  }

  test('a reload is listed with its new hash and Corefile, and the windows are kept', async () => {
    const first = await modelWhen(life.addr, (m) => m.config.reloads.length > 0, 5000)
    assert.deepEqual(first.config.reloads.map((r) => [r.event, r.hash]), [['started', first.config.hash]])
    for (let i = 0; i < 3; i++) await queryFrom('127.0.0.2', life.dnsPort, 'www.example.com')

    edit('cache 30', 'cache 60')
    const m = await modelWhen(life.addr, (m) => m.config.reloads.length > 1, 20_000)
    assert.deepEqual(m.config.reloads.map((r) => r.event), ['started', 'reloaded'])
    assert.notEqual(m.config.hash, first.config.hash)
    assert.equal(m.config.reloads[1]!.hash, m.config.hash)
    assert.match(m.config.corefile, /cache 60/)
    assert.equal(m.blocks[0]!.windows['1m'].queries, 3, 'the block keeps its windows across the reload')
  })

  test('a reload that fails is listed under the hash still serving', async () => {
    const before = await modelWhen(life.addr, () => true, 1000)
    edit('cache 60', 'cache 60\n    no_such_plugin')
    // seen by the 10 s ticker, from coredns_reload_failed_total
    const m = await modelWhen(life.addr, (m) => m.config.reloads.at(-1)?.event === 'reload failed', 30_000)
    assert.equal(m.config.reloads.filter((r) => r.event === 'reloaded').length, 1)
    assert.equal(m.config.reloads.at(-1)!.hash, before.config.hash)
    assert.equal(m.config.hash, before.config.hash)
    assert.match(m.config.corefile, /cache 60/, 'the Corefile shown is the one serving')
  })

  test('an upstream that stops answering is failing, with its failed probes', async () => {
    life.upstream.setHandler(() => drop())
    await queryFrom('127.0.0.2', life.dnsPort, 'down.example.com') // unanswered: probes start
    const m = await modelWhen(life.addr, (m) => m.upstreams['1m'].some((u) => u.health === 'failing'), 20_000)
    const up = m.upstreams['1m'].find((u) => u.to === life.upstream.addr)
    assert.ok(up && up.health === 'failing' && up.failures > 0, JSON.stringify(m.upstreams))
  })
})
