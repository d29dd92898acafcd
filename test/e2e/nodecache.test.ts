// node-cache mode end to end, only inside network namespaces this file creates (never the host's
// interfaces or iptables): the interface with 169.254.20.10, node-cache's exact rules installed
// once listening, dig answered on that address, a deleted rule and address put back by the next
// sync, teardown of rules then interface, -skipteardown, and an HA pair on one address through
// reusePort losing no query while one of them restarts.
//
// Run with TSDNS_NODECACHE_STREAM set, this file is instead the query stream of the HA test,
// started inside the namespace (see stream()).

import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'
import { buildQuery, makeTempDir, removeTempDir, sleep, spawnChild, udpQuery }
  from '../helpers/index.ts'
import { BASE_COREFILE, LOCAL_IP, Netns, run, START_MS, startNodeCache, until,
  workingInterfaceType } from './nodecache-netns.ts'

const SKIP = '"NodeLocal DNS Cache: skip conntrack"'
const ALLOW = '"NodeLocal DNS Cache: allow DNS traffic"'

/** node-cache's rules for one IP as `iptables -S` prints them: each was inserted at the top. */
function expectedRules(ip: string, bits: 32 | 128, port = 53, health = 8080) {
  const d = `-d ${ip}/${bits}`
  const s = `-s ${ip}/${bits}`
  return {
    filter: [
      `-A INPUT ${d} -p udp -m udp --dport ${port} -m comment --comment ${ALLOW} -j ACCEPT`,
      `-A INPUT ${d} -p tcp -m tcp --dport ${port} -m comment --comment ${ALLOW} -j ACCEPT`,
      `-A OUTPUT ${s} -p udp -m udp --sport ${port} -m comment --comment ${ALLOW} -j ACCEPT`,
      `-A OUTPUT ${s} -p tcp -m tcp --sport ${port} -m comment --comment ${ALLOW} -j ACCEPT`,
    ],
    raw: [
      `-A PREROUTING ${d} -p udp -m udp --dport ${port} -m comment --comment ${SKIP} -j NOTRACK`,
      `-A PREROUTING ${d} -p tcp -m tcp --dport ${port} -m comment --comment ${SKIP} -j NOTRACK`,
      `-A OUTPUT ${s} -p tcp -m tcp --sport ${health} -m comment --comment ${SKIP} -j NOTRACK`,
      `-A OUTPUT ${d} -p tcp -m tcp --dport ${health} -m comment --comment ${SKIP} -j NOTRACK`,
      `-A OUTPUT ${d} -p udp -m udp --dport ${port} -m comment --comment ${SKIP} -j NOTRACK`,
      `-A OUTPUT ${d} -p tcp -m tcp --dport ${port} -m comment --comment ${SKIP} -j NOTRACK`,
      `-A OUTPUT ${s} -p udp -m udp --sport ${port} -m comment --comment ${SKIP} -j NOTRACK`,
      `-A OUTPUT ${s} -p tcp -m tcp --sport ${port} -m comment --comment ${SKIP} -j NOTRACK`,
    ],
  }
}

/** Sum of one metric's samples on a /metrics endpoint inside the namespace (0 if unreachable). */
function metric(ns: Netns, url: string, name: string): number {
  const r = ns.exec(['curl', '-sf', '--max-time', '3', url])
  if (r.code !== 0) return 0
  return r.stdout.split('\n').filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
}

if (process.env.TSDNS_NODECACHE_STREAM !== undefined) await stream()
else {
  describe('node-cache mode in a network namespace', { concurrency: true }, () => {
    test('sets up, answers, repairs within one sync, tears down rules then interface', async (t) => {
      const ns = new Netns()
      t.after(() => ns.del())
      const type = workingInterfaceType(ns)
      const nc = await startNodeCache(ns, ['-interfacetype', type, '-syncinterval', '1s',
        '-metrics-listen-address', '127.0.0.1:9353'])
      t.after(() => nc.stop())

      assert.equal(readFileSync(nc.corefile, 'utf8'), BASE_COREFILE
        .replace('__PILLAR__LOCAL__DNS__ __PILLAR__DNS__SERVER__', `${LOCAL_IP} `)
        .replace('__PILLAR__LOCAL__DNS__', LOCAL_IP))
      assert.deepEqual(ns.addresses(), [`${LOCAL_IP}/32`])
      const want = expectedRules(LOCAL_IP, 32)
      assert.deepEqual(ns.rules('filter'), want.filter)
      assert.deepEqual(ns.rules('raw'), want.raw)

      for (const opts of [[], ['+tcp']]) {
        const r = ns.dig('whoami.example.', LOCAL_IP, opts)
        assert.equal(r.status, 'NOERROR', r.raw)
        assert.equal(r.additional.find((x) => x.type === 'A')?.data, LOCAL_IP)
      }
      assert.equal(ns.ok(['curl', '-sf', '--max-time', '3', `http://${LOCAL_IP}:8080/health`]), 'OK')
      const errors = ns.ok(['curl', '-sf', '--max-time', '3', 'http://127.0.0.1:9353/metrics'])
        .split('\n').filter((l) => l.startsWith('coredns_nodecache_setup_errors_total{'))
      assert.deepEqual(errors, ['iptables', 'iptables_lock', 'interface_add', 'interface_check', 'configmap']
        .map((type) => `coredns_nodecache_setup_errors_total{errortype="${type}"} 0`))

      // someone removes a rule and the address: the next sync (1 s) puts both back. tsdns is
      // stopped meanwhile, so no sync can restore them before they are counted.
      const pid = Number(readFileSync(join(nc.dir, 'pid'), 'utf8'))
      process.kill(pid, 'SIGSTOP')
      try {
        ns.ok(['iptables', '-D', 'INPUT', '1']) // the UDP ACCEPT rule, at the top
        ns.ok(['ip', 'addr', 'del', `${LOCAL_IP}/32`, 'dev', 'nodelocaldns'])
        assert.equal(ns.rules('filter').length, 3)
        assert.deepEqual(ns.addresses(), [])
      } finally {
        process.kill(pid, 'SIGCONT')
      }
      // the next sync pass ensures every rule and address; 1 s plus room for a slow pass
      await until('rule and address restored', () =>
        ns.rules('filter').length === 4 && ns.addresses()?.length === 1, 4000)
      assert.deepEqual(ns.rules('filter'), want.filter)
      assert.deepEqual(ns.rules('raw'), want.raw)
      const added = '[INFO] Added back nodelocaldns rule - {filter INPUT [-p udp'
      await nc.child.waitForLine(new RegExp(`^${added.replace(/[[\]{}()*+?.\\^$|-]/g, '\\$&')}`), 2000, 'stdout')
      assert.equal(ns.dig('whoami.example.').status, 'NOERROR')

      assert.equal(await nc.stop(), 0)
      assert.deepEqual(ns.rules('filter'), [])
      assert.deepEqual(ns.rules('raw'), [])
      assert.equal(ns.addresses(), undefined)
      const out = nc.child.stdout()
      const lastRule = out.findLastIndex((l) => l.includes('Removed nodelocaldns rule'))
      const iface = out.findIndex((l) => l.includes('Removed interface - nodelocaldns'))
      assert.equal(out.filter((l) => l.includes('Removed nodelocaldns rule')).length, 12)
      assert.ok(lastRule >= 0 && iface > lastRule, 'rules removed before the interface')
    })

    // Review finding: the signal handlers came after the rules, so a SIGTERM while iptables was
    // busy (each call may wait 5 s for the xtables lock) killed tsdns and left the rules and the
    // interface behind: DNS to the local IPs dead on the node until the next start.
    test('a SIGTERM while the rules go in: they all go in, then everything is torn down', async (t) => {
      const ns = new Netns()
      t.after(() => ns.del())
      const type = workingInterfaceType(ns)
      const shim = makeTempDir('tsdns-slow-iptables')
      t.after(() => removeTempDir(shim))
      const real = run('sh', ['-c', 'command -v iptables']).stdout.trim()
      writeFileSync(join(shim, 'iptables'), `#!/bin/sh\nsleep 0.2\nexec ${real} "$@"\n`, { mode: 0o755 })
      const nc = await startNodeCache(ns, ['-interfacetype', type], {
        noWait: true, env: { ...process.env, PATH: `${shim}:${process.env.PATH ?? ''}` } })
      t.after(() => nc.stop())
      // the banner comes once DNS serves, before the node setup starts
      await nc.child.waitForLine(/^tsdns-/, START_MS, 'stdout')
      await until('the first rule in', () => ns.rules('raw').length + ns.rules('filter').length > 0, 10_000)
      assert.ok(ns.rules('raw').length + ns.rules('filter').length < 12, 'still setting up')
      nc.child.proc.kill('SIGTERM')
      const status = await nc.child.waitExit(30_000)
      assert.equal(status?.code, 0, nc.child.tail(20))
      assert.deepEqual(ns.rules('filter'), [])
      assert.deepEqual(ns.rules('raw'), [])
      assert.equal(ns.addresses(), undefined)
    })

    test('two local IPs (link-local and kube-dns): the second IP\'s rules land above the first\'s', async (t) => {
      const ns = new Netns()
      t.after(() => ns.del())
      const second = '10.96.0.10'
      const nc = await startNodeCache(ns, ['-interfacetype', workingInterfaceType(ns),
        '-metrics-listen-address', ''], {
        localIP: `${LOCAL_IP},${second}`,
        // the real template's health address is the operator's single link-local IP
        base: BASE_COREFILE.replace('health __PILLAR__LOCAL__DNS__:8080', `health ${LOCAL_IP}:8080`),
      })
      t.after(() => nc.stop())
      assert.deepEqual(ns.addresses(), [`${LOCAL_IP}/32`, `${second}/32`])
      // node-cache inserts every rule at the top, IP by IP: iptables -S lists the last IP first
      const one = expectedRules(LOCAL_IP, 32)
      const two = expectedRules(second, 32)
      const inChains = (chains: string[], a: string[], b: string[]) => chains.flatMap((c) =>
        [...a, ...b].filter((l) => l.startsWith(`-A ${c} `)))
      assert.deepEqual(ns.rules('filter'), inChains(['INPUT', 'OUTPUT'], two.filter, one.filter))
      assert.deepEqual(ns.rules('raw'), inChains(['PREROUTING', 'OUTPUT'], two.raw, one.raw))
      assert.equal(ns.dig('whoami.example.', second).status, 'NOERROR')
      assert.equal(await nc.stop(), 0)
      assert.deepEqual(ns.rules('filter'), [])
      assert.deepEqual(ns.rules('raw'), [])
    })

    test('-skipteardown leaves rules and interface in place', async (t) => {
      const ns = new Netns()
      t.after(() => ns.del())
      const nc = await startNodeCache(ns, ['-interfacetype', workingInterfaceType(ns), '-skipteardown',
        '-metrics-listen-address', ''])
      t.after(() => nc.stop())
      assert.equal(ns.dig('whoami.example.').status, 'NOERROR')
      assert.equal(await nc.stop(), 0)
      const want = expectedRules(LOCAL_IP, 32)
      assert.deepEqual(ns.rules('filter'), want.filter)
      assert.deepEqual(ns.rules('raw'), want.raw)
      assert.deepEqual(ns.addresses(), [`${LOCAL_IP}/32`])
      assert.ok(!nc.child.stdout().some((l) => l.includes('Tearing down')))
    })

    test('a server that cannot start gets no rules', async (t) => {
      const ns = new Netns()
      t.after(() => ns.del())
      const base = '.:53 {\n    bind __PILLAR__LOCAL__DNS__\n    nosuchplugin\n}\n'
      const nc = await startNodeCache(ns, ['-interfacetype', workingInterfaceType(ns),
        '-metrics-listen-address', ''], { base, expectExit: true })
      t.after(() => nc.stop())
      assert.equal(nc.child.status()?.code, 1)
      assert.match(nc.child.stderr().join('\n'), /unknown directive 'nosuchplugin'/)
      assert.deepEqual(ns.rules('filter'), [])
      assert.deepEqual(ns.rules('raw'), [])
      assert.deepEqual(ns.addresses(), [`${LOCAL_IP}/32`], 'the interface stays, as with node-cache')
    })

    test('-interfacetype dummy (the default): works, or says which types to use instead', async (t) => {
      const ns = new Netns()
      t.after(() => ns.del())
      const hasDummy = workingInterfaceType(ns) === 'dummy'
      const nc = await startNodeCache(ns, ['-metrics-listen-address', ''], { expectExit: !hasDummy })
      t.after(() => nc.stop())
      if (hasDummy) {
        assert.match(ns.ok(['ip', '-d', 'link', 'show', 'nodelocaldns']), /\bdummy\b/)
        assert.equal(ns.dig('whoami.example.').status, 'NOERROR')
        return
      }
      assert.equal(nc.child.status()?.code, 1)
      assert.match(nc.child.stderr().join('\n'),
        new RegExp('cannot create interface nodelocaldns: this kernel has no "dummy" link type .*; ' +
          'choose another with -interfacetype: ifb, bridge, veth'))
      assert.equal(ns.addresses(), undefined)
      assert.deepEqual(ns.rules('raw'), [])
    })

    test('IPv6: ip6tables rules and answers on the local IPv6 address', async (t) => {
      const ns = new Netns()
      t.after(() => ns.del())
      const ip = 'fd00:169:254::10'
      const base = BASE_COREFILE.replace('prometheus 127.0.0.1:9253\n', '')
        .replace('health __PILLAR__LOCAL__DNS__:8080', 'health [__PILLAR__LOCAL__DNS__]:8080')
      const nc = await startNodeCache(ns, ['-interfacetype', workingInterfaceType(ns),
        '-metrics-listen-address', ''], { base, localIP: ip })
      t.after(() => nc.stop())
      const want = expectedRules(ip, 128)
      assert.deepEqual(ns.rules('filter', 'ip6tables'), want.filter)
      assert.deepEqual(ns.rules('raw', 'ip6tables'), want.raw)
      assert.deepEqual(ns.rules('raw'), [], 'nothing in the IPv4 tables')
      assert.deepEqual(ns.addresses(), [`${ip}/128`])
      const r = ns.dig('whoami.example.', ip)
      assert.equal(r.status, 'NOERROR', r.raw)
      assert.equal(r.additional.find((x) => x.type === 'AAAA')?.data, ip)
      assert.equal(await nc.stop(), 0)
      assert.deepEqual(ns.rules('raw', 'ip6tables'), [])
      assert.equal(ns.addresses(), undefined)
    })

    test('HA pair: one restarts under a steady query stream, nothing goes unanswered', async (t) => {
      const ns = new Netns()
      t.after(() => ns.del())
      const type = workingInterfaceType(ns)
      const base = BASE_COREFILE.replace('health __PILLAR__LOCAL__DNS__:8080',
        'health __PILLAR__LOCAL__DNS__:8080 {\n        lameduck 200ms\n    }')
      const common = ['-interfacetype', type, '-syncinterval', '60']
      const a = await startNodeCache(ns, [...common, '-metrics-listen-address', '127.0.0.1:9353'], { base })
      t.after(() => a.stop())
      const startB = () => startNodeCache(ns, [...common, '-skipteardown', '-metrics-listen-address',
        '127.0.0.1:9354'], { base })
      const b = await startB()
      t.after(() => b.stop())

      const intervalMs = 4
      const streamer = spawnChild('stream', 'ip', ['netns', 'exec', ns.name, process.execPath,
        fileURLToPath(import.meta.url)], {
        env: { ...process.env, TSDNS_NODECACHE_STREAM: JSON.stringify({ intervalMs, max: 30_000 }) },
      })
      t.after(() => streamer.stop('SIGKILL'))
      const requests = 'coredns_dns_requests_total'
      const answeredByB = () => metric(ns, 'http://127.0.0.1:9354/metrics', requests)
      await until('B answers part of the stream', () => answeredByB() > 20, START_MS)

      const stoppedAt = Date.now()
      assert.equal(await b.stop(), 0)
      t.diagnostic(`B stopped in ${Date.now() - stoppedAt} ms`)
      const want = expectedRules(LOCAL_IP, 32)
      assert.deepEqual(ns.rules('filter'), want.filter, 'B (-skipteardown) left the rules')
      assert.deepEqual(ns.addresses(), [`${LOCAL_IP}/32`])
      const b2 = await startB()
      t.after(() => b2.stop())
      await until('B again answers part of the stream', () => answeredByB() > 20, START_MS)
      await sleep(300)

      streamer.proc.kill('SIGTERM')
      const exit = await streamer.waitExit(10_000)
      assert.equal(exit?.code, 0, streamer.tail(10))
      const result = JSON.parse(streamer.stdout().at(-1)!) as
        { sent: number; answered: number; firstTryLost: number[]; unanswered: number[] }
      const since = (times: number[]) => JSON.stringify(times.map((at) => at - stoppedAt))
      t.diagnostic(`stream: sent ${result.sent}, answered ${result.answered}; without an answer to ` +
        `the first try: ${since(result.firstTryLost)} ms after B's SIGTERM`)
      assert.ok(result.sent > 200, `a steady stream (${result.sent} queries)`)
      assert.deepEqual(result.unanswered, [])
      assert.equal(result.answered, result.sent)
      assert.ok(metric(ns, 'http://127.0.0.1:9353/metrics', requests) > 0, 'A answered too')
      assert.deepEqual(ns.rules('raw'), want.raw)
      assert.deepEqual(ns.addresses(), [`${LOCAL_IP}/32`])
    })
  })
}

/**
 * The HA test's query stream, run inside the namespace: a query to the local IP every
 * `intervalMs` until SIGTERM (at most `max`), each from its own socket (so reusePort spreads them
 * over both servers). Like a stub resolver, a query without an answer within 1 s is sent once
 * more. Prints {sent, answered, firstTryLost, unanswered} as JSON, the last two as send times.
 */
async function stream(): Promise<void> {
  const { intervalMs, max } =
    JSON.parse(process.env.TSDNS_NODECACHE_STREAM!) as { intervalMs: number; max: number }
  let stopping = false
  process.on('SIGTERM', () => (stopping = true))
  const ask = (i: number) => udpQuery(LOCAL_IP, 53, buildQuery(`q${i}.ha.example.`, 'A'), { timeoutMs: 1000 })
    .then((r) => r !== undefined, () => false)
  const firstTryLost: number[] = []
  const unanswered: number[] = []
  const pending: Promise<void>[] = []
  const start = performance.now()
  for (let i = 0; i < max && !stopping; i++) {
    const sentAt = Date.now()
    pending.push((async () => {
      if (await ask(i)) return
      firstTryLost.push(sentAt)
      if (!(await ask(i))) unanswered.push(sentAt)
    })())
    const wait = start + (i + 1) * intervalMs - performance.now()
    if (wait > 0) await sleep(wait)
  }
  await Promise.all(pending)
  const sent = pending.length
  const answered = sent - unanswered.length
  process.stdout.write(JSON.stringify({ sent, answered, firstTryLost, unanswered }) + '\n')
}
