// Safe defaults: what we ship never makes a node an open resolver, nor lets an upstream outage
// queue queries without bound (every forward has max_concurrent). Every DNS listener of the
// shipped Corefiles (corefiles/ and the DaemonSet's ConfigMap, placeholders filled as node-cache
// mode fills them) is on a loopback, link-local or kube-dns Service address, never on every
// interface; health and readiness listen on specific addresses too (metrics may listen on every
// interface: Prometheus scrapes the node's address, as with node-local-dns). The manifests hand
// tsdns only such addresses. And the client-restricting acl example of docs/reliability.md works
// as written: it answers the clients it allows and refuses the rest.

import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import { readdirSync, readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import { loadCorefile } from '../../src/corefile/load.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import { Instance } from '../../src/server/instance.ts'
import { renderCorefile } from '../../src/nodecache/pillar.ts'
import { buildQuery, freePort, rcodeName, startTsdns } from '../helpers/index.ts'
import type { Tsdns } from '../helpers/index.ts'

setLogSink(() => {})
const root = fileURLToPath(new URL('../..', import.meta.url))
const read = (path: string): string => readFileSync(join(root, path), 'utf8')

/** kube-dns's Service address in the shipped examples (node-local.Corefile's header). */
const KUBE_DNS = '10.96.0.10'

function safeHost(host: string): boolean {
  if (host === KUBE_DNS || host === '::1') return true
  if (isIP(host) !== 4) return false
  const [a, b] = host.split('.').map(Number)
  return a === 127 || (a === 169 && b === 254)
}

/**
 * Every DNS listen host of a Corefile, the health/ready listener addresses, and how many
 * forwards have no max_concurrent (without it, an upstream outage queues queries until the
 * memory limit: measured in docs/reliability.md).
 */
function listeners(text: string, file: string):
  { dns: string[]; http: string[]; unbounded: number } {
  const { blocks } = loadCorefile({ file, text }, { env: {} })
  const inst = Instance.build(blocks, { defaultPort: 53, dir: join(root, 'corefiles') })
  const directives = blocks.flatMap((b) => b.directives)
  const http = directives.filter((d) => d.name.text === 'health' || d.name.text === 'ready')
    .map((d) => d.args[0]?.text ?? ':8080')
  const unbounded = directives.filter((d) => d.name.text === 'forward' &&
    !(d.block ?? []).some((o) => o.name.text === 'max_concurrent')).length
  return { dns: inst.servers.map((s) => s.host), http, unbounded }
}

function assertSafe(text: string, file: string): void {
  const { dns, http, unbounded } = listeners(text, file)
  assert.equal(unbounded, 0, `${file}: ${unbounded} forward without max_concurrent`)
  assert.ok(dns.length > 0, `${file}: no DNS listener`)
  for (const host of dns) {
    assert.ok(safeHost(host), `${file}: DNS listens on ${host === '' ? 'every interface' : host}`)
  }
  for (const addr of http) {
    const host = addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, '')
    assert.ok(host !== '' && safeHost(host), `${file}: health/ready listens on '${addr}'`)
  }
}

const corefiles = readdirSync(join(root, 'corefiles')).filter((f) => f.endsWith('.Corefile'))

for (const f of corefiles) {
  test(`corefiles/${f}: DNS on loopback, link-local, kube-dns addresses only; bounded forward`,
    () => {
      assertSafe(read(`corefiles/${f}`), f)
    })
}

test('the checker rejects no bind, a wildcard health, a forward without max_concurrent', () => {
  assert.throws(() => assertSafe('.:53 {\n  whoami\n}\n', 'open'), /every interface/)
  assert.throws(() => assertSafe('.:53 {\n  bind 0.0.0.0\n  whoami\n}\n', 'any'), /0\.0\.0\.0/)
  assert.throws(() => assertSafe('.:53 {\n  bind 127.0.0.1\n  health :8080\n}\n', 'h'), /':8080'/)
  assert.throws(() => assertSafe('.:53 {\n  bind ::1\n  forward . 127.0.0.1\n}\n', 'f'),
    /forward without max_concurrent/)
  assertSafe('.:53 {\n  bind 169.254.20.10 10.96.0.10 ::1\n  health 127.0.0.1:8080\n}\n', 'ok')
})

const manifestFiles = ['manifests/static-pod/tsdns.yaml', 'manifests/ha-pair/tsdns-standby.yaml',
  'manifests/daemonset/tsdns.yaml']

test('manifests give tsdns only link-local and kube-dns addresses', () => {
  for (const file of manifestFiles) {
    const docs = parseAllDocuments(read(file)).map((d) => d.toJS() as Record<string, unknown>)
    const text = JSON.stringify(docs)
    const args = [...text.matchAll(/"-localip","([^"]+)"/g)].map((m) => m[1]!)
    assert.equal(args.length, 1, `${file}: one -localip`)
    const ips = args[0]!.replace('__PILLAR__LOCAL__DNS__', '169.254.20.10')
      .replace('__PILLAR__DNS__SERVER__', KUBE_DNS).split(',')
    for (const ip of ips) assert.ok(safeHost(ip), `${file}: -localip ${ip}`)
    assert.doesNotMatch(text, /"hostPort"/, `${file}: a hostPort publishes DNS beyond the node`)
    assert.doesNotMatch(text, /0\.0\.0\.0/, `${file}: 0.0.0.0`)
  }
})

/** The DaemonSet as installed: its header's substitutions for a default cluster (iptables mode). */
const INSTALL: readonly [string, string][] = [['__PILLAR__LOCAL__DNS__', '169.254.20.10'],
  ['__PILLAR__DNS__SERVER__', KUBE_DNS], ['__PILLAR__DNS__DOMAIN__', 'cluster.local']]

test('the DaemonSet ConfigMap Corefile, installed and rendered as node-cache mode does, is safe',
  () => {
  const yaml = INSTALL.reduce((t, [from, to]) => t.replaceAll(from, to),
    read('manifests/daemonset/tsdns.yaml'))
  const docs = parseAllDocuments(yaml).map((d) => d.toJS())
  const cm = docs.find((d: { kind?: string }) => d.kind === 'ConfigMap') as
    { data: { Corefile: string } }
  const rendered = renderCorefile(cm.data.Corefile, {
    localIPs: ['169.254.20.10', KUBE_DNS],
    localPort: 53,
    clusterDns: '10.96.0.11',
    kubeDns: { stubDomains: new Map(), upstreamNameservers: [] },
  }).text
  assertSafe(rendered, 'daemonset ConfigMap')
})

// ---- the acl example, end to end

const doc = read('docs/reliability.md')
const example = /## Restricting clients[\s\S]*?~~~ corefile\n([\s\S]*?)~~~/.exec(doc)?.[1]
let tsdns: Tsdns | undefined
after(async () => {
  await tsdns?.stop()
})

test('docs/reliability.md: the acl example answers allowed clients, refuses others', async () => {
  assert.ok(example, 'docs/reliability.md has a "Restricting clients" section with a Corefile')
  assertSafe(example, 'docs/reliability.md')
  // on loopback: the node cache's addresses become 127.0.0.1, the node's own one stays allowed,
  // 127.0.0.2 plays a client outside every allowed network
  const port = await freePort('both')
  const text = example.replace(/^\.:53 \{/m, `.:${port} {`)
    .replace(/^(\s*bind)\s.*$/m, '$1 127.0.0.1')
    .replace(/^(\s*forward \.) \S+/m, '$1 127.0.0.1:1')
    .replace(/^(\s*allow net .*)$/m, '$1 127.0.0.1/32')
  assert.notEqual(text, example)
  tsdns = await startTsdns(text.replace(/^(\s*forward)/m, '  template IN A node.test {\n' +
    '    answer "{{ .Name }} 60 IN A 192.0.2.1"\n  }\n$1'))
  const from = async (source: string): Promise<string> => {
    const sock = dgram.createSocket('udp4')
    try {
      await new Promise<void>((resolve) => sock.bind(0, source, () => resolve()))
      const reply = new Promise<Buffer>((resolve) => sock.once('message', (m) => resolve(m)))
      sock.send(buildQuery('www.node.test', 'A'), port, '127.0.0.1')
      const timeout = new Promise<undefined>((resolve) => setTimeout(resolve, 2000))
      const r = await Promise.race([reply, timeout])
      return r === undefined ? 'TIMEOUT' : rcodeName(r)
    } finally {
      sock.close()
    }
  }
  assert.equal(await from('127.0.0.1'), 'NOERROR')
  assert.equal(await from('127.0.0.2'), 'REFUSED')
})
