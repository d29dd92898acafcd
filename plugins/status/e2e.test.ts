// A real tsdns process with status: a known workload over UDP, then /status.json, /status and
// `tsdns top` read it back.

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { makeTempDir, removeTempDir, TSDNS_MAIN } from '../../test/helpers/index.ts'
import type { StatusModel } from './model.ts'
import { startStatusServer, workload, type StatusServer } from './testkit.ts'

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
