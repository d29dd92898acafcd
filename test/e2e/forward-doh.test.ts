// forward's CoreDNS 1.14 upstreams in a real tsdns process: DNS-over-HTTPS (POST and GET) to an
// HTTP/2 server on loopback, hostname TOs through `resolver` (a fake DNS server this test
// controls; a name it stops resolving fails the start, or the reload, which keeps the old
// configuration serving), source_address, and failover past a closed port without waiting for
// read_timeout (connected UDP sockets get ECONNREFUSED).

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { after, test } from 'node:test'
import { startDohServer, type DohServer } from '../helpers/doh-server.ts'
import {
  answer,
  answerData,
  buildQuery,
  fakeUpstream,
  freePort,
  nxdomain,
  rcodeName,
  startTsdns,
  udpQuery,
  type FakeUpstream,
  type Tsdns,
} from '../helpers/index.ts'
import { selfSignedCert } from '../helpers/x509.ts'

const cert = selfSignedCert()
const fakes: FakeUpstream[] = []
const dohs: DohServer[] = []
const running: Tsdns[] = []

after(async () => {
  await Promise.all(running.map((t) => t.stop()))
  await Promise.all([...fakes.map((u) => u.close()), ...dohs.map((s) => s.close())])
})

/** An upstream answering every A question with `ip`. */
async function upstream(ip: string): Promise<FakeUpstream> {
  const u = await fakeUpstream((q) => answer(q, [`${q.name} 60 IN A ${ip}`]))
  fakes.push(u)
  return u
}

async function tsdns(corefile: string, files?: Record<string, string>): Promise<Tsdns> {
  const t = await startTsdns({ corefile, files })
  running.push(t)
  return t
}

async function ask(port: number, name: string): Promise<{ rcode: string; data: string[] }> {
  const reply = await udpQuery('127.0.0.1', port, buildQuery(name), { timeoutMs: 4000 })
  assert.ok(reply, `no reply for ${name}`)
  return { rcode: rcodeName(reply), data: answerData(reply) }
}

test('DoH upstreams: POST by default, GET with doh_method GET, both with the DNS media type',
  async () => {
    const post = await startDohServer(cert)
    const get = await startDohServer(cert)
    dohs.push(post, get)
    const port = await freePort('udp')
    await tsdns(`
post.test:${port} {
    forward . https://127.0.0.1:${post.port} {
        tls ca.pem
    }
}
get.test:${port} {
    forward . https://127.0.0.1:${get.port} {
        tls ca.pem
        doh_method GET
        source_address 127.0.0.2
    }
}
`, { 'ca.pem': cert.cert })
    assert.deepEqual(await ask(port, 'a.post.test'), { rcode: 'NOERROR', data: ['192.0.2.53'] })
    assert.deepEqual(await ask(port, 'b.get.test'), { rcode: 'NOERROR', data: ['192.0.2.53'] })
    const [p, g] = [post.seen[0]!, get.seen[0]!]
    assert.deepEqual([p.method, p.path, p.contentType, p.accept],
      ['POST', '/dns-query', 'application/dns-message', 'application/dns-message'])
    assert.deepEqual([g.method, g.contentType, g.accept],
      ['GET', 'application/dns-message', 'application/dns-message'])
    assert.match(g.path, /^\/dns-query\?dns=[A-Za-z0-9_-]+$/)
    assert.equal(p.query.readUInt16BE(0), 0, 'sent under ID 0 (RFC 8484 4.1)')
    assert.equal(g.remote, '127.0.0.2', 'source_address applies to HTTPS too')
  })

test('source_address: UDP queries to the upstream leave from 127.0.0.2', async () => {
  const up = await upstream('192.0.2.2')
  const port = await freePort('udp')
  await tsdns(`
.:${port} {
    forward . ${up.addr} {
        source_address 127.0.0.2
    }
}
`)
  assert.deepEqual(await ask(port, 'src.example'), { rcode: 'NOERROR', data: ['192.0.2.2'] })
  const q = up.queries.find((q) => q.name === 'src.example')!
  assert.deepEqual([q.proto, q.from.address], ['udp', '127.0.0.2'])
})

test('a closed port fails at once (ECONNREFUSED), not after read_timeout; the next is asked',
  async () => {
    const up = await upstream('192.0.2.3')
    const closed = await freePort('udp')
    const [only, both] = [await freePort('udp'), await freePort('udp')]
    await tsdns(`
.:${only} {
    forward . 127.0.0.1:${closed} {
        read_timeout 3s
    }
}
.:${both} {
    forward . 127.0.0.1:${closed} ${up.addr} {
        policy sequential
        read_timeout 3s
    }
}
`)
    // with a silent upstream these take 3 s (one read_timeout) and 6 s: allow a tenth of that
    let t0 = performance.now()
    assert.equal((await ask(only, 'refused.example')).rcode, 'SERVFAIL')
    const servfailMs = performance.now() - t0
    t0 = performance.now()
    assert.deepEqual(await ask(both, 'next.example'), { rcode: 'NOERROR', data: ['192.0.2.3'] })
    const failoverMs = performance.now() - t0
    assert.ok(servfailMs < 1000, `SERVFAIL after ${servfailMs.toFixed(0)} ms, read_timeout is 3 s`)
    assert.ok(failoverMs < 1000, `answer after ${failoverMs.toFixed(0)} ms, read_timeout is 3 s`)
  })

/** A DNS server for `resolver`: up.example's address while `resolvable`, NXDOMAIN after. */
async function resolverFor(ip: string): Promise<{ dns: FakeUpstream; resolvable: boolean }> {
  const r = { dns: undefined as unknown as FakeUpstream, resolvable: true }
  r.dns = await fakeUpstream((q) => !r.resolvable || q.name !== 'up.example' ? nxdomain(q)
    : answer(q, q.type === 'A' ? [`up.example 60 IN A ${ip}`] : []))
  fakes.push(r.dns)
  return r
}

const hostnameCorefile = (port: number, upPort: number, resolverPort: number): string => `
.:${port} {
    forward . up.example:${upPort} {
        resolver 127.0.0.1:${resolverPort}
    }
}
`

test('an unresolvable hostname fails the start with CoreDNS\'s message', async () => {
  const r = await resolverFor('127.0.0.1')
  r.resolvable = false
  const port = await freePort('udp')
  await assert.rejects(tsdns(hostnameCorefile(port, 53, r.dns.port)), (err: Error) => {
    assert.match(err.message, /exited with 1 before writing its pid file/)
    assert.match(err.message,
      /^plugin\/forward: failed to resolve "up\.example": no addresses found for "up\.example"$/m)
    return true
  })
  assert.deepEqual(r.dns.queries.map((q) => [q.name, q.type]),
    [['up.example', 'A'], ['up.example', 'AAAA']])
})

test('hostname through resolver; a reload it cannot resolve keeps the old configuration',
  async () => {
    const r = await resolverFor('127.0.0.1')
    const [one, two] = [await upstream('192.0.2.11'), await upstream('192.0.2.22')]
    const port = await freePort('udp')
    const t = await tsdns(hostnameCorefile(port, one.port, r.dns.port))
    assert.deepEqual(await ask(port, 'a.example'), { rcode: 'NOERROR', data: ['192.0.2.11'] })

    // the name stops resolving: the new Corefile (upstream two) fails, one keeps answering
    r.resolvable = false
    writeFileSync(t.confPath, hostnameCorefile(port, two.port, r.dns.port))
    t.proc.kill('SIGUSR1')
    const line = await t.waitForLine(/Restart failed/, 10_000)
    assert.equal(line, '[ERROR] Restart failed: plugin/forward: failed to resolve "up.example": ' +
      'no addresses found for "up.example"')
    assert.deepEqual(await ask(port, 'b.example'), { rcode: 'NOERROR', data: ['192.0.2.11'] })

    // resolvable again: the same Corefile now reloads, and upstream two answers
    r.resolvable = true
    t.proc.kill('SIGUSR1')
    await t.waitForLine(/Reloading complete/, 10_000)
    assert.deepEqual(await ask(port, 'c.example'), { rcode: 'NOERROR', data: ['192.0.2.22'] })
    assert.deepEqual([one.queries.map((q) => q.name), two.queries.map((q) => q.name)],
      [['a.example', 'b.example'], ['c.example']])
  })
