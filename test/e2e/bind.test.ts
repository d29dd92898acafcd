// `bind INTERFACE` inside a network namespace this file creates (never the host's interfaces):
// every address of the interface is served, its IPv6 link-local one with its zone, as CoreDNS
// lists it; tsdns failed to start on `bind eth0` here (bind EINVAL fe80::…) before.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { makeTempDir, removeTempDir, sleep, spawnChild, TSDNS_MAIN } from '../helpers/index.ts'
import { onCleanup } from '../helpers/cleanup.ts'

function inNs(ns: string, argv: readonly string[]) {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: 10_000 })
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' }
}

test('bind IFACE: IPv4, IPv6 and link-local (with its zone) addresses all answer', async (t) => {
  const ns = `tsdns-bind-${randomBytes(3).toString('hex')}`
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0, 'ip netns add')
  const unregister = onCleanup(() => void spawnSync('ip', ['netns', 'del', ns]))
  const dir = makeTempDir('tsdns-bind')
  t.after(() => {
    removeTempDir(dir)
    spawnSync('ip', ['netns', 'del', ns])
    unregister()
  })
  const setup = [
    'sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0',
    'ip link set lo up',
    'ip link add va type veth peer name vb',
    'ip addr add 10.77.0.1/24 dev va',
    'ip addr add fd77::1/64 dev va',
    'ip link set va up',
    'ip link set vb up',
  ].join(' && ')
  const s = inNs(ns, ['sh', '-c', setup])
  assert.equal(s.code, 0, s.err)
  let linkLocal: string | undefined
  for (let i = 0; i < 50 && linkLocal === undefined; i++) {
    const addrs = JSON.parse(inNs(ns, ['ip', '-j', '-6', 'addr', 'show', 'dev', 'va']).out) as
      Array<{ addr_info: Array<{ local: string; scope: string }> }>
    linkLocal = addrs[0]?.addr_info.find((a) => a.scope === 'link')?.local
    if (linkLocal === undefined) await sleep(100)
  }
  assert.ok(linkLocal, 'va has a link-local address')

  const conf = join(dir, 'Corefile')
  const pid = join(dir, 'pid')
  writeFileSync(conf, '.:53 {\n    bind va\n    whoami\n}\n')
  const child = spawnChild('tsdns-bind', 'ip', ['netns', 'exec', ns, process.execPath, TSDNS_MAIN,
    '-conf', conf, '-pidfile', pid], { cwd: dir })
  t.after(() => child.stop('SIGTERM', 5000))
  for (let i = 0; i < 300 && !existsSync(pid) && child.status() === undefined; i++) await sleep(50)
  assert.ok(existsSync(pid), `tsdns did not start:\n${child.tail(20)}`)
  for (const server of ['10.77.0.1', 'fd77::1', `${linkLocal}%va`]) {
    const r = inNs(ns, ['dig', `@${server}`, '-p', '53', '+tries=1', '+time=2', 'whoami.test'])
    assert.equal(r.code, 0, `${server}: ${r.out}${r.err}`)
    assert.match(r.out, /status: NOERROR/, server)
    // whoami tells the client its own address: the query came in on the address asked
    assert.match(r.out, /^whoami\.test\.\s+0\s+IN\s+(A|AAAA)\s+\S+$/m, server)
  }
})
