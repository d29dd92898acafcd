// node-cache mode across a rollout: a pod resolving through the kube-dns Service IP in a tight
// loop while tsdns gets SIGTERM must see no refused, lost or failed lookup. Built like a node,
// inside namespaces this file creates: "node" holds tsdns (-localip 169.254.20.10,10.96.0.10), a
// fake kube-dns on 10.244.0.2 and kube-proxy's DNAT of 10.96.0.10:53 to it; "pod" holds the
// client, behind a veth as a pod is. The answers must come from tsdns before the SIGTERM and
// from kube-dns after it, with no gap between.
//
// Run with TSDNS_ROLLOUT_CLIENT set, this file is instead that client (see client()).

import assert from 'node:assert/strict'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'
import { answerData, buildQuery, makeTempDir, rcodeName, removeTempDir, sleep, spawnChild, tcpQuery,
  TSDNS_MAIN, udpQuery, type Child } from '../helpers/index.ts'
import { LOCAL_IP, Netns, START_MS, startNodeCache, until, workingInterfaceType } from './nodecache-netns.ts'

const KUBE_DNS_IP = '10.96.0.10'
const KUBE_DNS_POD = '10.244.0.2'
/** What each server answers for any name under rollout.example: tells who answered. */
const FROM_TSDNS = '192.0.2.10'
const FROM_KUBE_DNS = '192.0.2.53'

const answering = (ip: string) => `    template IN A rollout.example {
        answer "{{ .Name }} 5 IN A ${ip}"
    }
`

/** Per protocol: what each lookup got, in order, as `outcome@ms` runs. */
interface ClientReport {
  readonly udp: readonly Lookup[]
  readonly tcp: readonly Lookup[]
}

interface Lookup {
  /** 'tsdns', 'kube-dns', or what went wrong: 'no answer', 'ECONNREFUSED', 'REFUSED'... */
  readonly outcome: string
  /** Date.now() when the lookup finished. */
  readonly at: number
}

/** The fake kube-dns: a plain tsdns on the "pod IP" behind the Service's DNAT. */
async function startKubeDns(ns: Netns): Promise<{ child: Child; dir: string }> {
  const dir = makeTempDir('tsdns-kubedns')
  const conf = join(dir, 'Corefile')
  const pid = join(dir, 'pid')
  writeFileSync(conf, `.:53 {\n    bind ${KUBE_DNS_POD}\n${answering(FROM_KUBE_DNS)}}\n`)
  const child = spawnChild('kube-dns', 'ip', ['netns', 'exec', ns.name, process.execPath,
    TSDNS_MAIN, '-conf', conf, '-pidfile', pid], { cwd: dir })
  await until('kube-dns started', () => existsSync(pid) || child.status() !== undefined, START_MS)
  assert.ok(existsSync(pid), child.tail(20))
  return { child, dir }
}

/** "node" and "pod" joined by a veth, kube-proxy's DNAT for the Service, forwarding on. */
function buildNode(): { node: Netns; pod: Netns } {
  const node = new Netns()
  const pod = new Netns()
  node.ok(['ip', 'link', 'add', 'pod0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.name])
  node.ok(['ip', 'addr', 'add', '10.244.1.1/24', 'dev', 'pod0'])
  node.ok(['ip', 'link', 'set', 'pod0', 'up'])
  node.ok(['ip', 'addr', 'add', `${KUBE_DNS_POD}/32`, 'dev', 'lo'])
  pod.ok(['ip', 'addr', 'add', '10.244.1.2/24', 'dev', 'eth0'])
  pod.ok(['ip', 'link', 'set', 'eth0', 'up'])
  pod.ok(['ip', 'route', 'add', 'default', 'via', '10.244.1.1'])
  for (const proto of ['udp', 'tcp']) {
    // kube-proxy (iptables mode) DNATs a ClusterIP in nat PREROUTING, before routing
    node.ok(['iptables', '-t', 'nat', '-A', 'PREROUTING', '-d', `${KUBE_DNS_IP}/32`, '-p', proto,
      '--dport', '53', '-j', 'DNAT', '--to-destination', `${KUBE_DNS_POD}:53`])
  }
  return { node, pod }
}

if (process.env.TSDNS_ROLLOUT_CLIENT !== undefined) await client()
else {
  describe('node-cache rollout', () => {
    test('SIGTERM hands the kube-dns IP to kube-proxy first: no lookup refused or lost', async (t) => {
      const { node, pod } = buildNode()
      t.after(() => {
        pod.del()
        node.del()
      })
      const kubeDns = await startKubeDns(node)
      t.after(async () => {
        await kubeDns.child.stop('SIGKILL')
        removeTempDir(kubeDns.dir)
      })
      const ask = (proto: 'udp' | 'tcp') => pod.exec(['dig', '+short', '+time=2', '+tries=1',
        ...(proto === 'tcp' ? ['+tcp'] : []), `@${KUBE_DNS_IP}`, 'a.rollout.example.']).stdout.trim()
      assert.equal(ask('udp'), FROM_KUBE_DNS, 'the Service answers through the DNAT')

      const base = `.:53 {\n    bind __PILLAR__LOCAL__DNS__\n${answering(FROM_TSDNS)}` +
        `    health ${LOCAL_IP}:8080 {\n        lameduck 1s\n    }\n}\n`
      const nc = await startNodeCache(node, ['-interfacetype', workingInterfaceType(node),
        '-metrics-listen-address', ''], { base, localIP: `${LOCAL_IP},${KUBE_DNS_IP}` })
      t.after(() => nc.stop())
      assert.equal(ask('udp'), FROM_TSDNS, 'tsdns took the Service IP over')
      assert.equal(ask('tcp'), FROM_TSDNS)

      const clientProc = spawnChild('client', 'ip', ['netns', 'exec', pod.name, process.execPath,
        fileURLToPath(import.meta.url)], {
        env: { ...process.env, TSDNS_ROLLOUT_CLIENT: JSON.stringify({ max: 100_000, maxMs: 60_000 }) },
      })
      t.after(() => clientProc.stop('SIGKILL'))
      await clientProc.waitForLine(/^answered$/, START_MS, 'stdout')
      await sleep(300)

      const termAt = Date.now()
      nc.child.proc.kill('SIGTERM')
      const exit = await nc.child.waitExit(15_000)
      const exitAt = Date.now()
      assert.equal(exit?.code, 0, nc.child.tail(30))
      await sleep(500) // kube-dns alone answers now

      clientProc.proc.kill('SIGTERM')
      assert.equal((await clientProc.waitExit(10_000))?.code, 0, clientProc.tail(10))
      const report = JSON.parse(clientProc.stdout().at(-1)!) as ClientReport
      t.diagnostic(`SIGTERM at 0 ms, tsdns exited at ${exitAt - termAt} ms`)
      const runs = { udp: summarize(report.udp, termAt), tcp: summarize(report.tcp, termAt) }
      for (const proto of ['udp', 'tcp'] as const) {
        t.diagnostic(`${proto}: ${report[proto].length} lookups: ${runs[proto].join(', ')}`)
      }
      for (const proto of ['udp', 'tcp'] as const) {
        const lookups = report[proto]
        const failed = lookups.filter((l) => l.outcome !== 'tsdns' && l.outcome !== 'kube-dns')
        assert.deepEqual(failed.map((l) => `${l.outcome}@${l.at - termAt}ms`), [], `${proto}: no failure`)
        // tsdns, then kube-dns, never back: one clean hand-over, and before tsdns closed
        assert.deepEqual(runs[proto].map((r) => r.split(' ')[0]), ['tsdns', 'kube-dns'], proto)
        const firstKubeDns = lookups.find((l) => l.outcome === 'kube-dns')!.at
        assert.ok(firstKubeDns < exitAt, `${proto}: kube-dns answered during the lameduck`)
      }
      assert.deepEqual(node.rules('raw'), [], 'node-cache rules gone')
      assert.deepEqual(node.rules('filter'), [])
      assert.equal(node.addresses(), undefined, 'interface gone')
      assert.equal(node.ok(['iptables', '-t', 'nat', '-S', 'PREROUTING']).split('\n')
        .filter((l) => l.includes('DNAT')).length, 2, 'kube-proxy\'s rules untouched')
    })
  })
}

/** Runs of equal outcomes: `tsdns x812 (-1630..-1 ms)`, times relative to `t0`. */
function summarize(lookups: readonly Lookup[], t0: number): string[] {
  const runs: { outcome: string; n: number; from: number; to: number }[] = []
  for (const l of lookups) {
    const last = runs.at(-1)
    if (last?.outcome === l.outcome) {
      last.n++
      last.to = l.at
    } else runs.push({ outcome: l.outcome, n: 1, from: l.at, to: l.at })
  }
  return runs.map((r) => `${r.outcome} x${r.n} (${r.from - t0}..${r.to - t0} ms)`)
}

/**
 * The pod's client, run inside its namespace: one UDP and one TCP loop, each asking
 * KUBE_DNS_IP one lookup after another, each from a new connected socket (as glibc and Go do),
 * until SIGTERM (at most `max` lookups per loop or `maxMs`). A lookup without an answer in 2 s
 * fails. Prints "answered" after the first answer, then the ClientReport as JSON.
 */
async function client(): Promise<void> {
  const { max, maxMs } = JSON.parse(process.env.TSDNS_ROLLOUT_CLIENT!) as { max: number; maxMs: number }
  let stopping = false
  process.on('SIGTERM', () => (stopping = true))
  const end = Date.now() + maxMs
  let announced = false
  const outcome = (reply: Buffer | undefined): string => {
    if (reply === undefined) return 'no answer'
    const [ip] = answerData(reply)
    return ip === FROM_TSDNS ? 'tsdns' : ip === FROM_KUBE_DNS ? 'kube-dns' : `${rcodeName(reply)} ${ip ?? ''}`
  }
  const loop = async (proto: 'udp' | 'tcp'): Promise<Lookup[]> => {
    const lookups: Lookup[] = []
    for (let i = 0; i < max && !stopping && Date.now() < end; i++) {
      const q = buildQuery(`${proto}${i}.rollout.example.`, 'A')
      let result: string
      try {
        result = outcome(proto === 'udp'
          ? await udpQuery(KUBE_DNS_IP, 53, q, { timeoutMs: 2000 })
          : await tcpQuery(KUBE_DNS_IP, 53, q, { timeoutMs: 2000 }))
      } catch (err) {
        result = (err as NodeJS.ErrnoException).code ?? String(err)
      }
      lookups.push({ outcome: result, at: Date.now() })
      if (!announced && result === 'tsdns') {
        announced = true
        process.stdout.write('answered\n')
      }
      await sleep(1) // a tight loop that leaves the two cores to the servers
    }
    return lookups
  }
  const [udp, tcp] = await Promise.all([loop('udp'), loop('tcp')])
  process.stdout.write(JSON.stringify({ udp, tcp } satisfies ClientReport) + '\n')
}
