// DNS over HTTPS upstreams (https://) against an HTTP/2 server the test starts on loopback with
// a throwaway certificate: methods, framing, one multiplexed connection, the body cap, errors,
// health checks; and source_address on every transport.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import dnsPacket from 'dns-packet'
import { loadCorefile } from '../../src/corefile/load.ts'
import { logger, setLogSink } from '../../src/plugin/log.ts'
import { PluginError, type Handler } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import { answer, answerData, fakeUpstream, type FakeUpstream } from '../../test/helpers/index.ts'
import { DOH_MIME as MIME, dohAnswer, startDohServer, type DohServer }
  from '../../test/helpers/doh-server.ts'
import { selfSignedCert } from '../../test/helpers/x509.ts'
import { MAX_DOH_BODY } from './doh.ts'
import { Forward } from './forward.ts'
import { requestDuration } from './metrics.ts'
import { chain, parseForward } from './setup.ts'

const dir = mkdtempSync(join(tmpdir(), 'forward-doh-'))
const cert = selfSignedCert()
const caPath = join(dir, 'ca.pem')
writeFileSync(caPath, cert.cert)

const running: Forward[] = []
const servers: DohServer[] = []
const fakes: FakeUpstream[] = []
before(() => setLogSink(() => {}))
after(async () => {
  for (const f of running) f.stop()
  await Promise.all([...servers.map((s) => s.close()), ...fakes.map((u) => u.close())])
  rmSync(dir, { recursive: true, force: true })
})

async function dohServer(): Promise<DohServer> {
  const s = await startDohServer(cert)
  servers.push(s)
  return s
}

function build(body: string): { h: Handler; fwds: Forward[] } {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  const directives = blocks[0]!.directives.filter((d) => d.name.text === 'forward')
  const fwds = parseForward(directives, { dir, log: logger('forward') }).map((c) => new Forward(c))
  for (const f of fwds) f.start()
  running.push(...fwds)
  return { h: chain(fwds, undefined), fwds }
}

async function serve(
  h: Handler,
  name = 'www.example.org',
): Promise<{ w: Recorder; err?: PluginError }> {
  const w = new Recorder()
  try {
    await h.serveDNS(testContext, w, request(name, 'A', { id: 4321 }))
    return { w }
  } catch (err) {
    if (!(err instanceof PluginError)) throw err
    return { w, err }
  }
}

const doh = (s: DohServer, opts = ''): string =>
  `forward . https://127.0.0.1:${s.port} {\ntls ${caPath}\n${opts}\n}`

test('POST (the default): the query under ID 0 to /dns-query, the reply under the client ID',
  async () => {
    const s = await dohServer()
    const { w } = await serve(build(doh(s)).h)
    assert.deepEqual(answerData(w.wire!), ['192.0.2.53'])
    assert.equal(w.msg.id, 4321)
    const seen = s.seen[0]!
    assert.deepEqual([seen.method, seen.path, seen.contentType, seen.accept],
      ['POST', '/dns-query', MIME, MIME])
    assert.equal(seen.query.readUInt16BE(0), 0, 'RFC 8484: ID 0')
    assert.equal(dnsPacket.decode(seen.query).questions![0]!.name, 'www.example.org')
    const labels = { proxy_name: 'forward', to: `127.0.0.1:${s.port}`, rcode: 'NOERROR' }
    assert.equal(requestDuration.child(labels).count, 1)
  })

test('doh_method GET: ?dns= base64url without padding', async () => {
  const s = await dohServer()
  const { w } = await serve(build(doh(s, 'doh_method GET')).h, 'get.example.org')
  assert.deepEqual(answerData(w.wire!), ['192.0.2.53'])
  const seen = s.seen[0]!
  assert.equal(seen.method, 'GET')
  assert.match(seen.path, /^\/dns-query\?dns=[A-Za-z0-9_-]+$/)
  assert.deepEqual([seen.contentType, seen.accept], [MIME, MIME]) // as CoreDNS sends them
  assert.equal(dnsPacket.decode(seen.query).questions![0]!.name, 'get.example.org')
})

test('queries in flight share one HTTP/2 connection, reused afterwards', async () => {
  const s = await dohServer()
  const { h } = build(doh(s))
  const all = await Promise.all(Array.from({ length: 20 }, (_, i) => serve(h, `n${i}.example`)))
  assert.ok(all.every((r) => r.w.writes === 1))
  await serve(h)
  assert.equal(s.seen.length, 21)
  assert.equal(s.sessions, 1)
})

test('a body over 64 KiB, a non-200 status or another question: the next upstream answers',
  async () => {
    const big = await dohServer()
    big.reply = () => ({ body: Buffer.alloc(MAX_DOH_BODY + 1) })
    const status = await dohServer()
    status.reply = () => ({ status: 500 })
    const other = await dohServer()
    other.reply = (q) => {
      const m = dnsPacket.decode(q)
      return { body: dohAnswer(dnsPacket.encode({ ...m, questions: [{ name: 'other.example',
        type: 'A', class: 'IN' }] })) }
    }
    for (const [bad, why] of [[big, /over 65535 bytes/], [status, /HTTP status 500/],
      [other, /question/]] as const) {
      const good = await dohServer()
      const { h } = build(`forward . https://127.0.0.1:${bad.port} https://127.0.0.1:${good.port} {
        tls ${caPath}\npolicy sequential\nmax_fails 0\n}`)
      const { w } = await serve(h)
      assert.deepEqual(answerData(w.wire!), ['192.0.2.53'])
      assert.equal(good.seen.length, 1)
      const alone = await serve(build(doh(bad, 'max_fails 0')).h)
      assert.equal(alone.err?.rcode, Rcode.ServFail)
      assert.match(alone.err!.message, why)
    }
  })

test('a certificate that does not verify is an error of that upstream', async () => {
  const s = await dohServer()
  const r = await serve(build(`forward . https://127.0.0.1:${s.port} {\nmax_fails 0\n}`).h)
  assert.equal(r.err?.rcode, Rcode.ServFail)
  assert.match(r.err!.message, /certificate/)
  assert.equal(s.seen.length, 0)
})

test('health checks of a DoH upstream: a POST of . IN NS', async () => {
  const s = await dohServer()
  const { fwds } = build(doh(s, 'health_check 50ms'))
  assert.equal(await fwds[0]!.proxies[0]!.health.probe(), true)
  const probe = s.seen.at(-1)!
  assert.equal(probe.method, 'POST')
  const q = dnsPacket.decode(probe.query).questions![0]!
  assert.deepEqual([q.name, q.type], ['.', 'NS'])
})

test('source_address: UDP, TCP and DoH leave from that address', async () => {
  const udp = await fakeUpstream((q) => answer(q, [`${q.name} 60 IN A 192.0.2.1`]))
  fakes.push(udp)
  const s = await dohServer()
  for (const proto of ['', 'force_tcp']) {
    const body = `forward . ${udp.addr} {\nsource_address 127.0.0.2\n${proto}\n}`
    const { w } = await serve(build(body).h)
    assert.deepEqual(answerData(w.wire!), ['192.0.2.1'])
  }
  assert.deepEqual(udp.queries.map((q) => [q.proto, q.from.address]),
    [['udp', '127.0.0.2'], ['tcp', '127.0.0.2']])
  await serve(build(doh(s, 'source_address 127.0.0.2')).h)
  assert.equal(s.seen[0]!.remote, '127.0.0.2')
})
