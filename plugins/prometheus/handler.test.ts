import assert from 'node:assert/strict'
import { test } from 'node:test'
import { WrappedWriter } from '../../src/dns/writer.ts'
import { replyMsg } from '../../src/plugin/msg.ts'
import { encodeMsg } from '../../src/plugin/msg.ts'
import type { Addr, Handler, Request, RequestContext, ResponseWriter } from '../../src/plugin/plugin.ts'
import { PluginError } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { ServerWriter } from '../../src/server/writer.ts'
import { Recorder, request } from '../../test/dnstest.ts'
import { Metrics } from './handler.ts'
import { panics } from '../../src/plugin/panics.ts'
import { doRequests, duration, requests, responses, responseSize } from './metrics.ts'
import { serverObserver } from './observer.ts'
import { rcodeLabel } from './report.ts'

interface Family {
  get(): {
    values: { value: number; labels: Record<string, string | number>; metricName?: string }[]
  }
}

/** The value of the sample whose labels include `labels` (0 when there is none). */
function sample(f: Family, labels: Record<string, string>, metricName?: string): number {
  const hit = f
    .get()
    .values.find(
      (v) =>
        (metricName === undefined || v.metricName === metricName) &&
        Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x),
    )
  return hit?.value ?? 0
}

const writes = (rcode: number, by = 'whoami'): Handler => ({
  name: by,
  serveDNS(_c, w, r) {
    w.writeMsg(replyMsg(r, rcode), by)
    return rcode
  },
})

function chain(server: string, next: Handler | undefined, zones = ['example.org.', '.']): Metrics {
  return new Metrics(next, { server, zones })
}

function ctx(server: string, zone: string): RequestContext {
  return { server, zone, resolve: () => Promise.reject(new Error('no resolve here')) }
}

/** A writer prometheus is handed, and what went out through it. */
interface Handed {
  readonly w: ResponseWriter
  readonly writes: () => number
}

const HERE: Addr = { address: '127.0.0.1', port: 53, family: 4 }
const CLIENT: Addr = { address: '10.240.0.1', port: 40212, family: 4 }

/**
 * The server's own writer, which the link reads back, and any other writer (a plugin before
 * prometheus wrapped it), which the link wraps: every count must come out the same.
 */
const WRITERS: readonly (readonly [string, (r: Request, remote?: Addr) => Handed])[] = [
  ['server', (r, remote = CLIENT) => {
    let n = 0
    return { w: new ServerWriter(r, HERE, remote, () => void n++), writes: () => n }
  }],
  ['wrapped', (r, remote = CLIENT) => {
    const w = new Recorder(remote, r.proto)
    return { w, writes: () => w.writes }
  }],
]

for (const [kind, handed] of WRITERS) {
  test(`a written answer counts request, type, family, rcode, writing plugin and sizes (${kind})`, () => {
    const server = `dns://test-written-${kind}:53`
    const m = chain(server, writes(Rcode.NXDomain, 'template'))
    const r = request('www.example.org', 'AAAA', { do: true })
    const { w, writes: n } = handed(r, { address: '::1', port: 4000, family: 6 })
    assert.equal(m.serveDNS(ctx(server, 'example.org.'), w, r), Rcode.NXDomain)
    assert.equal(w.by, 'template', 'the write goes through with its plugin name')
    assert.equal(n(), 1)
    const z = { server, zone: 'example.org.', view: '' }
    assert.equal(sample(requests, { ...z, proto: 'udp', family: '2', type: 'AAAA' }), 1)
    assert.equal(sample(responses, { ...z, rcode: 'NXDOMAIN', plugin: 'template' }), 1)
    assert.equal(sample(doRequests, z), 1)
    assert.equal(sample(duration, z, 'coredns_dns_request_duration_seconds_count'), 1)
    // the reply as the plugin wrote it (the server's writer then adds the client's OPT)
    assert.equal(
      sample(responseSize, { ...z, proto: 'udp' }, 'coredns_dns_response_size_bytes_sum'),
      encodeMsg(replyMsg(r, Rcode.NXDomain)).length,
    )
    assert.equal(sample(requests, { server, zone: '.' }), 0, 'nothing under the other zone')
  })

  test(`nothing written: the returned rcode, no plugin, size 0; uncommon types are "other" (${kind})`, () => {
    const server = `dns://test-unwritten-${kind}:53`
    const m = chain(server, { name: 'forward', serveDNS: () => Rcode.ServFail })
    const r = request('example.net', 'CAA', { proto: 'tcp' })
    const { w, writes: n } = handed(r)
    assert.equal(m.serveDNS(ctx(server, '.'), w, r), Rcode.ServFail)
    assert.equal(n(), 0)
    const z = { server, zone: '.', view: '' }
    assert.equal(sample(requests, { ...z, proto: 'tcp', family: '1', type: 'other' }), 1)
    assert.equal(sample(responses, { ...z, rcode: 'SERVFAIL', plugin: '' }), 1)
    assert.equal(
      sample(responseSize, { ...z, proto: 'tcp' }, 'coredns_dns_response_size_bytes_sum'),
      0,
    )
    assert.equal(sample(doRequests, z), 0)
  })

  test(`an asynchronous chain is timed until it resolves (${kind})`, async () => {
    const server = `dns://test-async-${kind}:53`
    const slow: Handler = {
      name: 'forward',
      serveDNS: (_c, w, r) =>
        new Promise((resolve) =>
          setTimeout(() => {
            w.writeMsg(replyMsg(r, 0), 'forward')
            resolve(0)
          }, 30),
        ),
    }
    const r = request('example.net')
    const rc = chain(server, slow).serveDNS(ctx(server, '.'), handed(r).w, r)
    assert.ok(rc instanceof Promise)
    assert.equal(sample(requests, { server }), 0, 'counted when the chain is done')
    assert.equal(await rc, 0)
    const z = { server, zone: '.', view: '' }
    assert.equal(sample(responses, { ...z, rcode: 'NOERROR', plugin: 'forward' }), 1)
    const seconds = sample(duration, z, 'coredns_dns_request_duration_seconds_sum')
    assert.ok(seconds >= 0.025 && seconds < 1, `duration ${seconds}`)
  })

  test(`a thrown error is counted with the rcode the server will send, then rethrown (${kind})`, async () => {
    const server = `dns://test-errors-${kind}:53`
    const ask = (next: Handler | undefined, name: string) => {
      const r = request(name)
      return chain(server, next).serveDNS(ctx(server, '.'), handed(r).w, r)
    }
    const refusing: Handler = {
      name: 'acl',
      serveDNS: () => {
        throw new PluginError('acl', 'blocked', Rcode.Refused)
      },
    }
    assert.throws(() => ask(refusing, 'a.'), /blocked/)
    const rejecting: Handler = { name: 'forward', serveDNS: () => Promise.reject(new Error('boom')) }
    await assert.rejects(async () => ask(rejecting, 'b.'), /boom/)
    assert.throws(() => ask(undefined, 'c.'), /no next plugin/)
    const z = { server, zone: '.', view: '' }
    assert.equal(sample(responses, { ...z, rcode: 'REFUSED', plugin: '' }), 1)
    assert.equal(sample(responses, { ...z, rcode: 'SERVFAIL', plugin: '' }), 2)
  })
}

const big: Handler = {
  name: 'hosts',
  serveDNS(_c, w, r) {
    const m = replyMsg(r, 0)
    m.answers = Array.from({ length: 60 }, (_, i) => ({
      name: 'big.example.org',
      type: 'A',
      ttl: 60,
      data: `10.0.0.${i}`,
    }))
    w.writeMsg(m, 'hosts')
    return 0
  },
}

/** A plugin between prometheus and the answer that wraps the writer (as nsid, rewrite do). */
const wrapping = (next: Handler): Handler => ({
  name: 'nsid',
  serveDNS: (c, w, r) => next.serveDNS(c, new WrappedWriter(w), r),
})

for (const [what, inner] of [
  ['straight to the server', big],
  ['through a wrapping writer', wrapping(big)],
] as const) {
  test(`the response size is the reply as written, before truncation, ${what}`, () => {
    const server = `dns://test-truncated-${inner.name}:53`
    const sent: Uint8Array[] = []
    const r = request('big.example.org') as Request
    const local = { address: '127.0.0.1', port: 53, family: 4 as const }
    const remote = { address: '127.0.0.1', port: 5000, family: 4 as const }
    const sw = new ServerWriter(r, local, remote, (b) => sent.push(b))
    chain(server, inner).serveDNS(ctx(server, 'example.org.'), sw, r)
    assert.equal(sent.length, 1)
    assert.ok(sent[0]!.length <= 512)
    // What CoreDNS 1.14.7 records: the message the plugin wrote, not the truncated bytes sent.
    const written = new Recorder()
    big.serveDNS(ctx(server, 'example.org.'), written, r)
    assert.ok(written.sent > 512)
    const z = { server, zone: 'example.org.', view: '', proto: 'udp' }
    assert.equal(sample(responseSize, z, 'coredns_dns_response_size_bytes_sum'), written.sent)
  })
}

test("a block's view names the view label of its series, as in CoreDNS", () => {
  const server = 'dns://test-view:53'
  const m = new Metrics(writes(Rcode.NoError, 'whoami'), { server, zones: ['.'], view: 'inside' })
  m.serveDNS(ctx(server, '.'), new Recorder(), request('a.example'))
  const z = { server, zone: '.', view: 'inside' }
  assert.equal(sample(requests, { ...z, proto: 'udp', family: '1', type: 'A' }), 1)
  assert.equal(sample(responses, { ...z, rcode: 'NOERROR', plugin: 'whoami' }), 1)
  assert.equal(sample(requests, { server, zone: '.', view: '', proto: 'udp', family: '1', type: 'A' }), 0)
})

test('queries that reach no chain count under zone "dropped"; panics are counted', () => {
  const server = 'dns://test-dropped:53'
  const before = panics.value
  serverObserver.dropped(server, request('nowhere.test', 'MX'), 'udp', 4, Rcode.Refused, 40)
  serverObserver.panic()
  const z = { server, zone: 'dropped', view: '' }
  assert.equal(sample(requests, { ...z, proto: 'udp', family: '1', type: 'MX' }), 1)
  assert.equal(sample(responses, { ...z, rcode: 'REFUSED', plugin: '' }), 1)
  assert.equal(panics.value, before + 1)
})

test('rcode labels are CoreDNS rcode.ToString', () => {
  assert.deepEqual([0, 2, 3, 5, 9, 11, 16].map(rcodeLabel), [
    'NOERROR',
    'SERVFAIL',
    'NXDOMAIN',
    'REFUSED',
    'NOTAUTH',
    'RCODE11',
    'BADVERS',
  ])
})
