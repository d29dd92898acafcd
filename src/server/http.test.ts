import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { gunzipSync, gzipSync } from 'node:zlib'
import { after, test } from 'node:test'
import { freePort } from '../../test/helpers/ports.ts'
import { shedCounter } from '../plugin/metrics.ts'
import { HTTP_LIMITS } from './http-guard.ts'
import { closeRetiredListeners, dialUrl, HttpEndpoints, splitHostPort } from './http.ts'

test('addresses are Go host:port', () => {
  assert.deepEqual(splitHostPort(':8080'), { host: '', port: 8080 })
  assert.deepEqual(splitHostPort('localhost:9153'), { host: 'localhost', port: 9153 })
  assert.deepEqual(splitHostPort('[::1]:8181'), { host: '::1', port: 8181 })
  assert.deepEqual(splitHostPort('169.254.20.10:9253'), { host: '169.254.20.10', port: 9253 })
  assert.equal(splitHostPort('localhost'), 'missing port in address')
  assert.equal(splitHostPort('[::1]'), 'missing port in address')
  assert.equal(splitHostPort('[::1:80'), "missing ']' in address")
  assert.match(splitHostPort('::1:80') as string, /too many colons/)
  assert.equal(splitHostPort('a:99999'), "invalid port '99999'")
  assert.equal(dialUrl(':8080', '/health'), 'http://127.0.0.1:8080/health')
  assert.equal(dialUrl('[::1]:8080', '/health'), 'http://[::1]:8080/health')
})

/** One keep-alive connection: `reused` tells whether the listener kept it across a swap. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
after(() => agent.destroy())
const started: HttpEndpoints[] = []
after(async () => {
  for (const e of started) e.retire()
  await closeRetiredListeners()
})

function get(
  url: string,
  viaAgent = false,
): Promise<{ status: number; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: viaAgent ? agent : false, timeout: 2000 }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reused: req.reusedSocket }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
  })
}

/** Endpoints that after() retires and closes, whatever a failing test left open. */
function endpoints(): HttpEndpoints {
  const e = new HttpEndpoints()
  started.push(e)
  return e
}

const text = (body: string) => () => ({ status: 200, body })

test('a reload hands an address over on one connection; retired-only ones close', async () => {
  const [p1, p2] = [await freePort('tcp'), await freePort('tcp')]
  const a = `127.0.0.1:${p1}`
  const b = `127.0.0.1:${p2}`
  const first = endpoints()
  first.route(a, '/metrics', text('old metrics'))
  first.route(a, '/health', text('OK'))
  first.route(b, '/ready', text('old ready'))
  await first.start()
  assert.deepEqual(await get(`http://${a}/metrics`, true), {
    status: 200,
    body: 'old metrics',
    reused: false,
  })

  // Reload: the next configuration is built, the old one shut down, then the next one started.
  const next = endpoints()
  next.route(a, '/metrics', text('new metrics'))
  first.retire()
  assert.equal(
    (await get(`http://${a}/health`)).body,
    'OK',
    'routes answer between shutdown and startup',
  )
  await next.start()
  await closeRetiredListeners()
  assert.deepEqual(await get(`http://${a}/metrics`, true), {
    status: 200,
    body: 'new metrics',
    reused: true,
  })
  assert.equal(
    (await get(`http://${a}/health`)).status,
    404,
    'routes of the old configuration are gone',
  )
  await assert.rejects(
    get(`http://${b}/ready`),
    { code: 'ECONNREFUSED' },
    'only the old one used b',
  )

  next.retire()
  await closeRetiredListeners()
  await assert.rejects(get(`http://${a}/metrics`), { code: 'ECONNREFUSED' })
})

test('binding is all or nothing: a busy address fails it and leaves nothing open', async () => {
  const free = `127.0.0.1:${await freePort('tcp')}`
  const blocker = net.createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  after(() => new Promise((resolve) => blocker.close(resolve)))
  const busy = `127.0.0.1:${(blocker.address() as net.AddressInfo).port}`
  const e = endpoints()
  e.route(free, '/metrics', text('x'))
  e.route(busy, '/health', text('OK'))
  await assert.rejects(e.start(), /cannot listen on 127\.0\.0\.1:\d+ for HTTP/)
  await assert.rejects(get(`http://${free}/metrics`), { code: 'ECONNREFUSED' })

  // bind then abandon (a reload whose DNS sockets failed): what it opened closes again
  const ok = endpoints()
  ok.route(free, '/metrics', text('x'))
  await ok.bind()
  assert.equal((await get(`http://${free}/metrics`)).status, 404, 'bound, routes not taken yet')
  await ok.abandon()
  await assert.rejects(get(`http://${free}/metrics`), { code: 'ECONNREFUSED' })
})

/** One request with `method` and `headers`; the body as received (not decompressed). */
function request(url: string, method: string, headers: Record<string, string> = {}):
  Promise<{ status: number; encoding: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, timeout: 2000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        encoding: res.headers['content-encoding'],
        body: Buffer.concat(chunks),
      }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

test('any method is answered, as Go handlers do; gzip where the route allows and the client asks',
  async () => {
    const a = `127.0.0.1:${await freePort('tcp')}`
    const e = endpoints()
    const metrics = 'coredns_build_info{version="x"} 1\n'.repeat(50)
    e.route(a, '/health', text('OK'))
    e.route(a, '/metrics', () => ({ status: 200, body: metrics, gzipped: async () => gzipSync(metrics) }))
    await e.start()
    const post = await request(`http://${a}/health`, 'POST')
    assert.deepEqual([post.status, post.body.toString()], [200, 'OK'])
    const zipped = await request(`http://${a}/metrics`, 'GET', { 'accept-encoding': 'gzip' })
    assert.equal(zipped.encoding, 'gzip')
    assert.equal(gunzipSync(zipped.body).toString(), metrics)
    const plain = await request(`http://${a}/metrics`, 'GET')
    assert.deepEqual([plain.encoding, plain.body.toString()], [undefined, metrics])
    const health = await request(`http://${a}/health`, 'GET', { 'accept-encoding': 'gzip' })
    assert.deepEqual([health.encoding, health.body.toString()], [undefined, 'OK'])
  })

// The bounds of http-guard.ts, each over a real socket.

/** A raw connection (from `source`) and everything it receives until it closes. */
async function raw(address: string, source = '127.0.0.1'): Promise<{
  socket: net.Socket
  received: () => string
  closed: Promise<void>
}> {
  const hp = splitHostPort(address) as { host: string; port: number }
  const socket = net.connect({ host: hp.host, port: hp.port, localAddress: source })
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  let text = ''
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return { socket, received: () => text, closed }
}

async function guarded(): Promise<string> {
  const a = `127.0.0.1:${await freePort('tcp')}`
  const e = endpoints()
  e.route(a, '/health', text('OK'))
  await e.start()
  return a
}

const sheds = (bound: 'http_conns' | 'http_request') => shedCounter(bound).value

test('a request with a body gets 413 and its connection closes; the body is never read',
  async () => {
    const a = await guarded()
    const before = sheds('http_request')
    // announced 1 MB, 10 bytes sent: answered at once, not held until the body arrives
    const c = await raw(a)
    c.socket.write('POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n0123456789')
    await c.closed
    assert.match(c.received(), /^HTTP\/1\.1 413 /)
    const chunked = await raw(a)
    chunked.socket.write('POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab')
    await chunked.closed
    assert.match(chunked.received(), /^HTTP\/1\.1 413 /)
    assert.equal(sheds('http_request') - before, 2)
    assert.equal((await request(`http://${a}/health`, 'POST')).status, 200, 'POST without a body')
  })

test('headers over 8 KiB get 431; headers never finished close after the headers timeout',
  async () => {
    const a = await guarded()
    const before = sheds('http_request')
    const big = await raw(a)
    big.socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(9000)}\r\n\r\n`)
    await big.closed
    assert.match(big.received(), /^HTTP\/1\.1 431 /)
    const slow = await raw(a)
    slow.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n')
    const t0 = performance.now()
    await slow.closed
    const ms = performance.now() - t0
    assert.ok(ms < HTTP_LIMITS.headersTimeoutMs + 5000, `held ${Math.round(ms)} ms`)
    assert.match(slow.received(), /^HTTP\/1\.1 408 /)
    assert.equal(sheds('http_request') - before, 2)
  })

test('pipelined requests past the bound close the connection; each is answered in turn before',
  async () => {
    const a = await guarded()
    const before = sheds('http_request')
    const c = await raw(a)
    // 200 at once: the connection closes once they are parsed, before any handler rendered more
    c.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(200))
    await c.closed
    const answers = c.received().match(/HTTP\/1\.1 200 /g)?.length ?? 0
    assert.ok(answers <= 1 + HTTP_LIMITS.pipelined, `${answers} answers`)
    assert.equal(sheds('http_request') - before, 1)
    // within the bound, every pipelined request is answered, in order
    const ok = await raw(a)
    ok.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(HTTP_LIMITS.pipelined) +
      'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    await ok.closed
    assert.equal(ok.received().match(/HTTP\/1\.1 200 /g)?.length, HTTP_LIMITS.pipelined + 1)
  })

test('connections over the per-source and total bounds evict the idlest; newcomers get in',
  async () => {
    const a = await guarded()
    const before = sheds('http_conns')
    // one source past its share: its own oldest connections go
    const flood = []
    for (let i = 0; i < HTTP_LIMITS.connsPerSource + 5; i++) flood.push(await raw(a, '127.0.0.2'))
    await Promise.all(flood.slice(0, 5).map((c) => c.closed))
    assert.equal(sheds('http_conns') - before, 5)
    // every source at its share fills the table: a newcomer evicts the idlest, gets its answer
    const sources = Math.ceil(HTTP_LIMITS.conns / HTTP_LIMITS.connsPerSource)
    for (let s = 3; s < 3 + sources; s++) {
      for (let i = 0; i < HTTP_LIMITS.connsPerSource; i++) flood.push(await raw(a, `127.0.0.${s}`))
    }
    const r = await get(`http://${a}/health`)
    assert.deepEqual([r.status, r.body], [200, 'OK'])
    assert.ok(sheds('http_conns') - before > 5)
    for (const c of flood) c.socket.destroy()
  })
