import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { gunzipSync } from 'node:zlib'
import { after, test } from 'node:test'
import { freePort } from '../../test/helpers/ports.ts'
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

test('a busy address fails the start; the others serve until retired', async () => {
  const free = `127.0.0.1:${await freePort('tcp')}`
  const blocker = net.createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  const busy = `127.0.0.1:${(blocker.address() as net.AddressInfo).port}`
  const e = endpoints()
  e.route(busy, '/health', text('OK'))
  e.route(free, '/metrics', text('x'))
  await assert.rejects(e.start(), /cannot listen on 127\.0\.0\.1:\d+ for HTTP/)
  assert.equal((await get(`http://${free}/metrics`)).body, 'x')
  e.retire()
  await closeRetiredListeners()
  await assert.rejects(get(`http://${free}/metrics`), { code: 'ECONNREFUSED' })
  await new Promise((resolve) => blocker.close(resolve))
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
    e.route(a, '/metrics', () => ({ status: 200, body: metrics, gzip: true }))
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
