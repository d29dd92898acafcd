import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { connect as tcpConnect } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { connect, type ConnectionOptions } from 'node:tls'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { errorsOf } from '../../src/corefile/fixtures.test.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import { Instance } from '../../src/server/instance.ts'
import { ListenerPool } from '../../src/server/listeners.ts'
import { buildQuery, decode, freePort, makeTempDir, removeTempDir, tcpQuery,
  udpQuery } from '../../test/helpers/index.ts'
import { eventually, FakeTimeouts } from '../../test/helpers/fake-timeouts.ts'
import { selfSignedCert } from '../../test/helpers/x509.ts'

setLogSink(() => {})

/** whoami's answer: the client's address, in the additional section. */
function whoami(reply: Uint8Array | undefined): string | undefined {
  const a = reply && decode(reply).additionals?.find((r) => r.type === 'A' || r.type === 'AAAA')
  return (a as { data?: string } | undefined)?.data
}

const dir = makeTempDir('tsdns-tls-')
const server = selfSignedCert()
const client = selfSignedCert()
writeFileSync(join(dir, 'cert.pem'), server.cert)
writeFileSync(join(dir, 'key.pem'), server.key)
writeFileSync(join(dir, 'client-ca.pem'), client.cert)
after(() => removeTempDir(dir))

function build(text: string): Instance {
  const { blocks } = loadCorefile({ file: 'Corefile', text })
  return Instance.build(blocks, { defaultPort: 53, dir })
}

function fails(text: string): CorefileError {
  return errorsOf(() => build(text))[0]!
}

describe('parse', () => {
  const cases: Array<[string, string, number, number, RegExp]> = [
    ['tls cert.pem', 'COREFILE_ARGS', 2, 5, /wrong argument count .* \(expecting 2 to 3, got 1\)/],
    ['tls a b c d', 'COREFILE_ARGS', 2, 11, /expecting 2 to 3, got 4/],
    ['tls nofile.pem key.pem', 'COREFILE_VALUE', 2, 5, /cannot read 'nofile.pem': ENOENT/],
    ['tls key.pem cert.pem', 'COREFILE_VALUE', 2, 5, /invalid TLS certificate or key/],
    ['tls cert.pem key.pem {\nclient_auth foo\n}', 'COREFILE_VALUE', 3, 13, /unknown authentication type 'foo'/],
    ['tls cert.pem key.pem {\nbogus\n}', 'COREFILE_UNKNOWN', 3, 1, /unknown property 'bogus'/],
    ['tls cert.pem key.pem {\nkeylog\n}', 'COREFILE_ARGS', 3, 1, /wrong argument count/],
    ['tls {\nacme dns.example.org\n}', 'COREFILE_UNSUPPORTED', 2, 1, /ACME .* not supported/],
  ]
  for (const [body, code, line, col, re] of cases) {
    test(body.replace(/\n/g, ' '), () => {
      const e = fails(`tls://.:8853 {\n${body}\nwhoami\n}\n`)
      assert.deepEqual([e.code, e.line, e.col], [code, line, col], e.message)
      assert.match(e.detail, re)
    })
  }

  test('tls:// keys default to port 853, whatever -dns.port says', () => {
    const inst = build('tls://example.org {\ntls cert.pem key.pem\nwhoami\n}\n.:1053 {\nwhoami\n}\n')
    assert.deepEqual(inst.describe(), ['tls://example.org.:853', '.:1053'])
    assert.deepEqual(inst.servers.map((s) => s.label), ['tls://:853', 'dns://:1053'])
  })

  test('other schemes are still refused, naming the ones served', () => {
    const e = fails('https://. {\nwhoami\n}\n')
    assert.match(e.detail, /https:\/\/ is not supported by tsdns, only dns:\/\/ and tls:\/\/ are/)
  })
})

const pool = new ListenerPool()
const instances: Instance[] = []
after(async () => {
  await pool.closeAll()
  for (const inst of instances) await inst.shutdown()
})

/** Serves `corefile` (PORT replaced by a free port) on real sockets until the tests end. */
async function serve(corefile: string): Promise<number> {
  const port = await freePort('both')
  const inst = build(corefile.replaceAll('PORT', String(port)))
  instances.push(inst)
  await pool.apply(instances.flatMap((i) => i.servers))
  return port
}

/** One framed query over TLS: the reply, or the error that ended the session. */
function dot(port: number, opts: ConnectionOptions = {}): Promise<Buffer | Error> {
  return new Promise((resolve) => {
    const q = buildQuery('example.org.')
    const sock = connect({ host: '127.0.0.1', port, ca: server.cert, ...opts }, () => {
      sock.write(Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]))
    })
    let got = Buffer.alloc(0)
    const done = (r: Buffer | Error): void => {
      clearTimeout(guard)
      sock.destroy()
      resolve(r)
    }
    const guard = setTimeout(() => done(new Error('timeout')), 5000)
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk])
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) done(got.subarray(2))
    })
    sock.on('error', (err) => done(err))
    sock.on('close', () => done(new Error('closed')))
  })
}

describe('DNS over TLS served', () => {
  let port = 0
  before(async () => {
    port = await serve('tls://.:PORT {\ntls cert.pem key.pem\nwhoami\n}\n')
  })

  test('a query over TLS is answered, as TCP (RFC 7858)', async () => {
    const reply = await dot(port)
    assert.ok(reply instanceof Buffer, String(reply))
    assert.equal(whoami(reply), '127.0.0.1')
  })

  test('several queries pipelined on one TLS session are all answered', async () => {
    const replies = await new Promise<number>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port, ca: server.cert }, () => {
        const frames = [1, 2, 3].map((i) => {
          const q = buildQuery(`q${i}.example.org.`)
          return Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q])
        })
        sock.write(Buffer.concat(frames))
      })
      let got = Buffer.alloc(0)
      const count = (): number => {
        let n = 0
        for (let o = 0; o + 2 <= got.length && o + 2 + got.readUInt16BE(o) <= got.length; o += 2 + got.readUInt16BE(o)) n++
        return n
      }
      const guard = setTimeout(() => sock.destroy(), 5000)
      sock.on('data', (c: Buffer) => {
        got = Buffer.concat([got, c])
        if (count() === 3) sock.destroy()
      })
      sock.on('error', () => {})
      sock.on('close', () => {
        clearTimeout(guard)
        resolve(count())
      })
    })
    assert.equal(replies, 3)
  })

  test('TLS 1.1 is refused (minimum TLS 1.2, as CoreDNS)', async () => {
    const r = await dot(port, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })
    assert.ok(r instanceof Error)
  })

  test('a client that never completes its handshake is closed at the first-read deadline',
    async (t) => {
      const clock = FakeTimeouts.install(t) // the connection's deadline; sockets stay real
      let closed = false
      const sock = tcpConnect({ host: '127.0.0.1', port })
      t.after(() => sock.destroy())
      sock.on('error', () => {})
      sock.on('close', () => (closed = true))
      assert.ok(await eventually(() => clock.pending.size > 0), 'the server took the connection')
      clock.advance(2999)
      assert.equal(await eventually(() => closed, 100), false, 'open at 2999 ms')
      clock.advance(1)
      assert.ok(await eventually(() => closed), 'closed at 3 s (CoreDNS: 3 s read timeout)')
    })
})

describe('what CoreDNS 1.14.7 does without TLS', () => {
  test('tls:// without the tls plugin serves plain TCP and no UDP', async () => {
    const port = await serve('tls://.:PORT {\nwhoami\n}\n')
    const reply = await tcpQuery('127.0.0.1', port, buildQuery('example.org.'))
    assert.equal(whoami(reply), '127.0.0.1')
    const udp = await udpQuery('127.0.0.1', port, buildQuery('example.org.'), { timeoutMs: 300, connect: false })
    assert.equal(udp, undefined)
    const inst = build(`tls://.:${port} {\nwhoami\n}\n`)
    assert.equal(inst.servers[0]!.transport, 'tls')
  })

  test('tls in a dns:// block has no effect: plain DNS is served', async () => {
    const port = await serve('.:PORT {\ntls cert.pem key.pem\nwhoami\n}\n')
    const reply = await tcpQuery('127.0.0.1', port, buildQuery('example.org.'))
    assert.equal(whoami(reply), '127.0.0.1')
  })
})

describe('client_auth', () => {
  const withCert = { cert: client.cert, key: client.key }

  test('require_and_verify: a client without a certificate is refused, one with it served', async () => {
    const port = await serve('tls://.:PORT {\ntls cert.pem key.pem client-ca.pem {\nclient_auth require_and_verify\n}\nwhoami\n}\n')
    assert.ok((await dot(port)) instanceof Error)
    assert.ok((await dot(port, withCert)) instanceof Buffer)
  })

  test('require: any certificate will do, none will not', async () => {
    const port = await serve('tls://.:PORT {\ntls cert.pem key.pem {\nclient_auth require\n}\nwhoami\n}\n')
    assert.ok((await dot(port)) instanceof Error)
    assert.ok((await dot(port, withCert)) instanceof Buffer) // not signed by a system CA
  })

  test('verify_if_given: no certificate is fine, an unverifiable one is not', async () => {
    const port = await serve('tls://.:PORT {\ntls cert.pem key.pem {\nclient_auth verify_if_given\n}\nwhoami\n}\n')
    assert.ok((await dot(port)) instanceof Buffer)
    assert.ok((await dot(port, withCert)) instanceof Error)
  })
})

test('keylog appends NSS key log lines for each session', async () => {
  const port = await serve('tls://.:PORT {\ntls cert.pem key.pem {\nkeylog keys.txt\n}\nwhoami\n}\n')
  assert.ok((await dot(port)) instanceof Buffer)
  assert.match(readFileSync(join(dir, 'keys.txt'), 'utf8'), /^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|EXPORTER_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0) [0-9a-f]+ [0-9a-f]+$/m)
})
