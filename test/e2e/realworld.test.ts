// Real-world Corefiles (test/fixtures/realworld/, where each comes from on its first line) served
// by the real tsdns and asked with dig and kdig, checked against what CoreDNS documents and does.
// Addresses and ports are {$VARS} in the fixtures, set here to loopback addresses and free ports:
// unbound stands in for the cluster's CoreDNS and for the upstream resolvers, dnsmasq for a
// node's resolver, a silent fake for a dead upstream. Where an expectation is not obvious, the
// CoreDNS file it was read from is named beside it.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  dig, drop, fakeUpstream, freePorts, sleep, startDnsmasq, startTsdns, startUnbound,
  type DigOptions, type DigResult, type Dnsmasq, type FakeUpstream, type Rr, type Tsdns,
  type Unbound,
} from '../helpers/index.ts'

const DIR = fileURLToPath(new URL('../fixtures/realworld/', import.meta.url))
const fixture = (name: string): string => readFileSync(join(DIR, name), 'utf8')

const rows = (rrs: readonly Rr[]): string[][] =>
  rrs.map((r) => [r.name, String(r.ttl), r.type, r.data])
const sorted = (rrs: readonly Rr[]): string[] => rrs.map((r) => r.data).sort()

/** What a plain HTTP GET answers: "<status> <body>". */
async function get(url: string): Promise<string> {
  const res = await fetch(url)
  return `${res.status} ${(await res.text()).trim()}`
}

const SOA_CLUSTER =
  'cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30'
const HEADLESS = Array.from({ length: 100 }, (_, i) => `10.0.1.${i + 1}`)
const MULTI = ['192.0.2.11', '192.0.2.12', '192.0.2.13', '192.0.2.14']

// the cluster's CoreDNS (kube-dns Service): authoritative for cluster.local and reverse zones
let kube: Unbound
// upstream resolvers (/etc/resolv.conf, Azure DNS, the air-gapped network's server)
let up: Unbound
// a node resolver answering from its configuration
let dnsmasq: Dnsmasq
let dead: FakeUpstream
let port: number
let metricsPort: number
let healthPort: number
let readyPort: number

before(async () => {
  ;[kube, up, dnsmasq, dead] = await Promise.all([
    startUnbound({
      tls: false,
      zones: ['cluster.local', '10.in-addr.arpa', 'testdomain456.com'],
      records: [
        SOA_CLUSTER,
        SOA_CLUSTER.replace('cluster.local.', '10.in-addr.arpa.'),
        'kubernetes.default.svc.cluster.local. 300 IN A 10.96.0.1',
        ...HEADLESS.map((ip) => `big.default.svc.cluster.local. 30 IN A ${ip}`),
        '1.0.96.10.in-addr.arpa. 5 IN PTR kubernetes.default.svc.cluster.local.',
        'www.testdomain456.com. 60 IN A 10.1.1.1',
      ],
    }),
    startUnbound({
      tls: false,
      zones: ['example.org', 'google.com', 'example', 'example.com', 'example.local',
        'internal.cloudapp.net'],
      records: [
        'example.org. 3600 IN SOA ns.example.org. admin.example.org. 1 3600 600 86400 60',
        'www.example.org. 300 IN A 192.0.2.1',
        ...MULTI.map((ip) => `multi.example.org. 300 IN A ${ip}`),
        'google.com. 300 IN A 192.0.2.100',
        'deep.apps.example.com. 300 IN A 192.0.2.50',
        'grafana.example.local. 300 IN A 10.65.0.7',
        'vm1.internal.cloudapp.net. 10 IN A 10.224.0.4',
      ],
    }),
    startDnsmasq({
      addresses: [{ name: 'registry.example.net', ip: '192.0.2.80' }],
      logQueries: true,
    }),
    fakeUpstream(() => drop()),
  ])
  const ports = await freePorts(4)
  ;[port, metricsPort, healthPort, readyPort] = ports as [number, number, number, number]
})

after(async () => {
  await Promise.all([kube?.stop(), up?.stop(), dnsmasq?.stop(), dead?.close()])
})

const upstream = (u: Unbound): string => `${u.host}:${u.port}`

/** tsdns serving a Corefile with its {$VARS} (the ports preset); `files` go beside it. */
function serve(
  corefile: string,
  env: Record<string, string>,
  files?: Record<string, string>,
): Promise<Tsdns> {
  const ports = {
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    HEALTH_PORT: String(healthPort),
    READY_PORT: String(readyPort),
  }
  return startTsdns({ corefile, env: { ...ports, ...env }, ...(files && { files }) })
}

/** dig (or kdig) at the fixture's port. */
const ask = (server: string, name: string, type = 'A', more: Partial<DigOptions> = {}) =>
  dig({ server, port, name, type, ...more })

function flags(r: DigResult): string {
  return r.flags.join(' ')
}

const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Waits for a startup line (they may follow the pid file by a moment). */
function printed(tsdns: Tsdns, line: string): Promise<string> {
  return tsdns.waitForLine(new RegExp(`^${literal(line)}$`), 3000)
}

test('every fixture says where it comes from on its first line', () => {
  for (const f of readdirSync(DIR)) {
    assert.match(fixture(f).split('\n')[0]!, /^# \S+\/\S+ .{20,}/, f)
  }
})

describe('kubernetes nodelocaldns.yaml', () => {
  const LOCAL = '127.0.0.10' // 169.254.20.10
  const KUBE_DNS = '127.0.0.11' // the kube-dns Service address, iptables mode
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('nodelocaldns.Corefile'), {
      LOCAL_DNS: LOCAL,
      DNS_SERVER: KUBE_DNS,
      CLUSTER_DNS: upstream(kube),
      UPSTREAM_SERVERS: upstream(up),
    })
  })
  after(() => tsdns?.stop())

  test('four zones on both bind addresses, as CoreDNS lists them at start', async () => {
    for (const ip of [LOCAL, KUBE_DNS]) {
      for (const zone of ['cluster.local.', 'in-addr.arpa.', 'ip6.arpa.', '.']) {
        await printed(tsdns, `${zone}:${port} on ${ip}`)
      }
    }
  })

  test('cluster.local: TTL capped by success 9984 30, case kept, answered on both', async () => {
    for (const server of [LOCAL, KUBE_DNS]) {
      const r = await ask(server, 'Kubernetes.Default.svc.cluster.local')
      assert.equal(r.status, 'NOERROR')
      assert.equal(flags(r), 'qr aa rd ra')
      assert.deepEqual(rows(r.answer), [
        ['Kubernetes.Default.svc.cluster.local.', '30', 'A', '10.96.0.1'],
      ])
    }
  })

  test('cluster.local NXDOMAIN and NODATA keep the SOA, TTL capped by denial 9984 5', async () => {
    const nx = await ask(LOCAL, 'nope.default.svc.cluster.local')
    assert.equal(nx.status, 'NXDOMAIN')
    assert.deepEqual(nx.answer, [])
    assert.deepEqual(rows(nx.authority).map((r) => r.slice(0, 3)), [['cluster.local.', '5', 'SOA']])
    const nodata = await ask(LOCAL, 'kubernetes.default.svc.cluster.local', 'AAAA',
      { tool: 'kdig' })
    assert.equal(nodata.status, 'NOERROR')
    assert.deepEqual(nodata.answer, [])
    assert.equal(nodata.authority[0]?.type, 'SOA')
  })

  test('in-addr.arpa goes to the cluster DNS', async () => {
    const r = await ask(KUBE_DNS, '1.0.96.10.in-addr.arpa', 'PTR', { opts: ['+tcp'] })
    assert.deepEqual(sorted(r.answer), ['kubernetes.default.svc.cluster.local.'])
  })

  test('a big answer fetched over TCP (force_tcp) is cut to the UDP client with TC', async () => {
    // CoreDNS request.Scrub: records cut to fit the client's 1232 bytes, TC set
    for (let i = 0; i < 2; i++) {
      const udp = await ask(LOCAL, 'big.default.svc.cluster.local', 'A', { opts: ['+ignore'] })
      assert.equal(udp.status, 'NOERROR')
      assert.ok(udp.flags.includes('tc'), flags(udp))
      // as many as fit in 1232 bytes beside header, question and OPT: the client's, dig's cookie
      // echoed (23 bytes), on the miss as on the hit (the cache passes no upstream OPT on)
      assert.equal(udp.answer.length, 72, 'compressed A records in 1232 bytes')
      assert.ok(udp.msgSize! <= 1232)
    }
    const plain = await ask(LOCAL, 'big.default.svc.cluster.local', 'A', { opts: ['+ignore',
      '+noedns'] })
    assert.ok(plain.flags.includes('tc'))
    assert.ok(plain.msgSize! <= 512)
    const tcp = await ask(LOCAL, 'big.default.svc.cluster.local', 'A', { opts: ['+tcp'] })
    assert.ok(!tcp.flags.includes('tc'))
    assert.deepEqual(sorted(tcp.answer), [...HEADLESS].sort())
  })

  test('.: forwarded, cached with a falling TTL, EDNS mirrored', async () => {
    const first = await ask(LOCAL, 'WWW.Example.ORG', 'A', { opts: ['+bufsize=4096'] })
    assert.deepEqual(rows(first.answer), [['WWW.Example.ORG.', '30', 'A', '192.0.2.1']])
    assert.equal(first.ednsUdp, 4096)
    await sleep(1100)
    // one cache for both bind addresses, as CoreDNS shares the block's plugin instances
    const hit = await ask(KUBE_DNS, 'www.example.org')
    assert.equal(flags(hit), 'qr aa rd ra', 'a cache hit is authoritative (cache/item.go)')
    const ttl = hit.answer[0]!.ttl
    assert.ok(ttl < 30 && ttl >= 27, `ttl ${ttl}`)
    assert.equal(hit.ednsUdp, 1232)
    const dnssec = await ask(KUBE_DNS, 'www.example.org', 'A', { opts: ['+dnssec'] })
    assert.deepEqual(dnssec.ednsFlags, ['do'])
    assert.equal(dnssec.answer[0]!.ttl, 30, 'DO is part of the cache key: a miss')
    const noEdns = await ask(LOCAL, 'www.example.org', 'A', { tool: 'kdig' })
    assert.equal(noEdns.ednsUdp, undefined, 'no OPT for a client that sent none')
    const norec = await ask(LOCAL, 'www.example.org', 'A', { opts: ['+norec'] })
    assert.equal(flags(norec), 'qr aa ra', 'RD is the client\'s')
  })

  test('health on the link-local address, metrics per bind address and zone', async () => {
    assert.equal(await get(`http://${LOCAL}:${healthPort}/health`), '200 OK')
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
    for (const ip of [LOCAL, KUBE_DNS]) {
      assert.match(text, new RegExp(`coredns_dns_requests_total\\{server="dns://${ip}:${port}"`))
    }
    assert.match(text, /coredns_dns_requests_total\{[^}]*zone="cluster\.local\."/)
  })
})

describe('kubespray nodelocaldns-config.yml.j2', () => {
  const LOCAL = '127.0.0.12' // nodelocaldns_ip 169.254.25.10
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('kubespray-nodelocaldns.Corefile'), {
      LOCAL_DNS: LOCAL,
      CLUSTER_DNS: upstream(kube),
      UPSTREAM: `${dnsmasq.host}:${dnsmasq.port}`,
    })
  })
  after(() => tsdns?.stop())

  test('. goes to dnsmasq; its TTL 0 is raised to the cache minimum 5', async () => {
    // cache.go: duration = clamp(min TTL, MINTTL 5, 30); every record carries it
    const r = await ask(LOCAL, 'registry.example.net')
    assert.deepEqual(rows(r.answer), [['registry.example.net.', '5', 'A', '192.0.2.80']])
    assert.ok(dnsmasq.log().some((l) => l.includes('query[A] registry.example.net from')))
  })

  test('cluster.local with cache 30', async () => {
    const r = await ask(LOCAL, 'kubernetes.default.svc.cluster.local')
    assert.deepEqual(rows(r.answer), [
      ['kubernetes.default.svc.cluster.local.', '30', 'A', '10.96.0.1'],
    ])
    assert.equal(await get(`http://${LOCAL}:${healthPort}/health`), '200 OK')
  })
})

describe('k3s coredns.yaml', () => {
  test('kubernetes is refused with one located error naming it', async () => {
    const err = await serve(fixture('k3s-coredns.Corefile'), { UPSTREAM: upstream(up) }).then(
      (t) => t.stop().then(() => assert.fail('tsdns started')),
      (e: unknown) => String(e),
    )
    // CoreDNS built without it: "Corefile:6 - Error during parsing: Unknown directive
    // 'kubernetes'"; tsdns adds the column and says what to do instead (README.md)
    const located = err.split('\n').filter((l) => /^\S+:\d+:\d+ - /.test(l))
    assert.equal(located.length, 1, err)
    assert.match(located[0]!, /Corefile:6:5 - plugin\/kubernetes: not supported by tsdns \(/)
    assert.match(err, /\n 6 \| {5}kubernetes cluster\.local in-addr\.arpa .*\n +\| +\^{10}\n/)
  })

  describe('without the kubernetes stanza, with coredns-custom files', () => {
    let tsdns: Tsdns
    before(async () => {
      const corefile = fixture('k3s-coredns.Corefile').replace(/\n {4}kubernetes [^}]*\}/, '')
      assert.doesNotMatch(corefile, /kubernetes/)
      const lab = `lab.example:${port} {\n    hosts {\n        10.9.9.9 nas.lab.example\n    }\n}\n`
      tsdns = await serve(corefile, { UPSTREAM: upstream(up) }, {
        NodeHosts: '10.0.0.5 node1\n10.0.0.6 node2\n',
        'custom/log.override': 'log\n',
        'custom/lab.server': lab,
      })
    })
    after(() => tsdns?.stop())

    test('NodeHosts: A (ttl 60 capped by cache 30), PTR, NODATA; other names fall through',
      async () => {
        const a = await ask('127.0.0.1', 'node1')
        assert.equal(flags(a), 'qr aa rd', 'hosts answers itself: no RA')
        assert.deepEqual(rows(a.answer), [['node1.', '30', 'A', '10.0.0.5']])
        const ptr = await ask('127.0.0.1', '6.0.0.10.in-addr.arpa', 'PTR')
        assert.deepEqual(rows(ptr.answer), [['6.0.0.10.in-addr.arpa.', '30', 'PTR', 'node2.']])
        const nodata = await ask('127.0.0.1', 'NODE1', 'AAAA', { opts: ['+tcp'] })
        assert.deepEqual([nodata.status, flags(nodata), nodata.answer.length],
          ['NOERROR', 'qr aa rd', 0])
        const other = await ask('127.0.0.1', 'www.example.org')
        assert.deepEqual(sorted(other.answer), ['192.0.2.1'])
      })

    test('loadbalance shuffles the A records, cache hits too', async () => {
      const orders = new Set<string>()
      for (let i = 0; i < 20 && orders.size < 2; i++) {
        const r = await ask('127.0.0.1', 'multi.example.org')
        assert.deepEqual(sorted(r.answer), MULTI)
        orders.add(r.answer.map((x) => x.data).join(' '))
      }
      assert.equal(orders.size, 2, 'the same order 20 times')
    })

    test('health and ready', async () => {
      assert.equal(await get(`http://127.0.0.1:${healthPort}/health`), '200 OK')
      assert.equal(await get(`http://127.0.0.1:${readyPort}/ready`), '200 OK')
    })

    test('*.override joins the block (log), *.server adds a block', async () => {
      const r = await ask('127.0.0.1', 'nas.lab.example')
      assert.deepEqual(rows(r.answer), [['nas.lab.example.', '3600', 'A', '10.9.9.9']])
      await printed(tsdns, `lab.example.:${port}`)
      await tsdns.waitForLine(/^\[INFO\] 127\.0\.0\.1:\d+ - \d+ "A IN node1\. udp /, 3000)
    })
  })
})

describe('coredns/deployment coredns.yaml.sed without kubernetes', () => {
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('coredns-deployment.Corefile'), { UPSTREAM: upstream(up) })
  })
  after(() => tsdns?.stop('SIGKILL'))

  test('served: cache 30, ready', async () => {
    const r = await ask('127.0.0.1', 'www.example.org', 'A', { tool: 'kdig', opts: ['+tcp'] })
    assert.deepEqual(rows(r.answer), [['www.example.org.', '30', 'A', '192.0.2.1']])
    assert.equal(await get(`http://127.0.0.1:${readyPort}/ready`), '200 OK')
  })

  test('health { lameduck 5s }: after SIGTERM still healthy and answering, not ready', async () => {
    tsdns.proc.kill('SIGTERM')
    await tsdns.waitForLine(/\[INFO\] plugin\/health: Going into lameduck mode for 5s/, 3000)
    assert.equal(await get(`http://127.0.0.1:${healthPort}/health`), '200 OK')
    assert.equal(await get(`http://127.0.0.1:${readyPort}/ready`), '503 Shutting down')
    assert.deepEqual(sorted((await ask('127.0.0.1', 'www.example.org')).answer), ['192.0.2.1'])
  })
})

describe('EKS Corefile with log . {combined} { class denial error }', () => {
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('eks-coredns-log.Corefile'), { UPSTREAM: upstream(up) })
  })
  after(() => tsdns?.stop())

  test('denials and errors are logged in the combined format, successes are not', async () => {
    assert.equal((await ask('127.0.0.1', 'www.example.org')).status, 'NOERROR')
    assert.equal((await ask('127.0.0.1', 'WWW.example.org', 'AAAA')).status, 'NOERROR')
    assert.equal((await ask('127.0.0.1', 'www.example.net')).status, 'REFUSED')
    // plugin/log/log.go CombinedLogFormat: the common format, then "{>opcode}"; {name} lowercased
    const line = (q: string, rc: string) => new RegExp('^\\[INFO\\] 127\\.0\\.0\\.1:\\d+ - \\d+ ' +
      `"${q} udp \\d+ false 1232" ${rc} \\d+ \\d+(\\.\\d+)?s "0"$`)
    await tsdns.waitForLine(line('AAAA IN www\\.example\\.org\\.', 'NOERROR qr,aa,rd,ra'), 3000)
    await tsdns.waitForLine(line('A IN www\\.example\\.net\\.', 'REFUSED qr,aa,rd,ra'), 3000)
    assert.ok(!tsdns.stdout().some((l) => l.includes('"A IN www.example.org.')), 'success logged')
  })
})

describe('Lopper sys_dns (host DNS with bind, bufsize, acl, hosts, loadbalance)', () => {
  let tsdns: Tsdns
  before(async () => {
    const env = { LISTEN: '127.0.0.13', UPSTREAM: upstream(up) }
    tsdns = await serve(fixture('lopper-sys-dns.Corefile'), env, { hosts: '192.168.0.1 gw.lan\n' })
  })
  after(() => tsdns?.stop())

  test('bufsize 1232 caps what the reply advertises; a smaller size is kept', async () => {
    // plugin/bufsize lowers the request's size, which the reply's OPT then mirrors
    const big = await ask('127.0.0.13', 'www.example.org', 'A', { opts: ['+bufsize=4096'] })
    assert.deepEqual([big.status, big.ednsUdp], ['NOERROR', 1232])
    const small = await ask('127.0.0.13', 'www.example.org', 'A', { opts: ['+bufsize=512'] })
    assert.equal(small.ednsUdp, 512)
  })

  test('hosts answers from the file beside the Corefile; the query is logged', async () => {
    const r = await ask('127.0.0.13', 'gw.lan')
    assert.deepEqual(rows(r.answer), [['gw.lan.', '60', 'A', '192.168.0.1']])
    const line = /^\[INFO\] 127\.0\.0\.1:\d+ - \d+ "A IN gw\.lan\. udp \d+ false 1232" NOERROR /
    assert.match(await tsdns.waitForLine(line, 3000), / qr,aa,rd \d+ \d+(\.\d+)?s$/)
  })
})

describe('AKS LocalDNS', () => {
  const NODE = '127.0.0.20' // 169.254.10.10, node and dnsPolicy:Default traffic
  const PODS = '127.0.0.21' // 169.254.10.11, dnsPolicy:ClusterFirst traffic
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('aks-localdns.Corefile'), {
      NODE_IP: NODE,
      CLUSTER_IP: PODS,
      AZURE_DNS: upstream(up),
      COREDNS: upstream(kube),
    })
  })
  after(() => tsdns?.stop())

  test('loads: `.` twice on the same port, each block on its own bind address', async () => {
    for (const line of [`.:${port} on ${NODE}`, `.:${port} on ${PODS}`,
      `health-check.localdns.local.:${port} on ${PODS}`, `cluster.local.:${port} on ${NODE}`]) {
      await printed(tsdns, line)
    }
  })

  test('health-check.localdns.local: whoami on both listeners, case kept', async () => {
    for (const server of [NODE, PODS]) {
      const r = await ask(server, 'Health-Check.LocalDNS.local')
      assert.equal(flags(r), 'qr aa rd')
      assert.deepEqual(r.answer, [])
      assert.deepEqual(rows(r.additional).map((x) => x.slice(0, 3)), [
        ['Health-Check.LocalDNS.local.', '0', 'A'],
        ['_udp.Health-Check.LocalDNS.local.', '0', 'SRV'],
      ])
      assert.equal(r.additional[0]!.data, '127.0.0.1')
    }
  })

  test('search-path expansions of internal.cloudapp.net and reddog are NXDOMAIN', async () => {
    for (const [server, name] of [[NODE, 'a.b.c.d.internal.cloudapp.net'],
      [PODS, 'web.default.svc.cluster.local.internal.cloudapp.net'],
      [NODE, 'foo.reddog.microsoft.com']] as const) {
      const r = await ask(server, name, 'AAAA')
      assert.equal(r.status, 'NXDOMAIN', name)
      assert.equal(flags(r), 'qr aa rd', 'template sets AA, not RA (template.go)')
      assert.deepEqual([r.answer, r.authority], [[], []])
    }
    const vm = await ask(NODE, 'vm1.internal.cloudapp.net')
    assert.deepEqual(sorted(vm.answer), ['10.224.0.4'], 'fewer labels fall through to forward')
  })

  test('nsid names the listener; cluster.local and testdomain456.com go to CoreDNS', async () => {
    const node = await ask(NODE, 'www.example.org', 'A', { opts: ['+nsid'] })
    assert.match(node.raw, /NSID: .*\("localdns"\)/)
    const pods = await ask(PODS, 'kubernetes.default.svc.cluster.local', 'A', { opts: ['+nsid'] })
    assert.match(pods.raw, /NSID: .*\("localdns-pod"\)/)
    assert.deepEqual(sorted(pods.answer), ['10.96.0.1'])
    const cluster = await ask(NODE, 'kubernetes.default.svc.cluster.local', 'A', { opts: ['+tcp'] })
    // cache 3600 { success 9984 }: the capacity line leaves the 3600 s cap alone (cache/setup.go)
    assert.deepEqual(rows(cluster.answer), [
      ['kubernetes.default.svc.cluster.local.', '300', 'A', '10.96.0.1'],
    ])
    assert.deepEqual(sorted((await ask(NODE, 'www.testdomain456.com')).answer), ['10.1.1.1'])
  })

  test('ready on both listener addresses', async () => {
    for (const ip of [NODE, PODS]) {
      assert.equal(await get(`http://${ip}:${readyPort}/ready`), '200 OK')
    }
  })
})

describe('elastisys air-gapped stub zone for node-local-dns', () => {
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('elastisys-airgap.Corefile'), {
      UPSTREAM: upstream(up),
      LOCAL_DNS: '127.0.0.14',
      DNS_SERVER: '127.0.0.15',
    })
  })
  after(() => tsdns?.stop())

  test('the zone is served on both addresses despite the trailing comments', async () => {
    for (const server of ['127.0.0.14', '127.0.0.15']) {
      const r = await ask(server, 'Grafana.Example.Local')
      assert.deepEqual(rows(r.answer), [['Grafana.Example.Local.', '5', 'A', '10.65.0.7']])
    }
    await tsdns.waitForLine(/"A IN grafana\.example\.local\. udp /, 3000)
  })

  test('other zones are REFUSED by the server: no AA, no RA, OPT mirrored', async () => {
    // core/dnsserver/server.go: no zone matched -> errorFunc: SetRcode(req, REFUSED) + SizeAndDo
    const r = await ask('127.0.0.14', 'www.example.org', 'A', { opts: ['+bufsize=2048'] })
    assert.deepEqual([r.status, flags(r), r.ednsUdp], ['REFUSED', 'qr rd', 2048])
    const tcp = await ask('127.0.0.15', 'www.example.org', 'MX', { tool: 'kdig',
      opts: ['+tcp', '+norec'] })
    assert.deepEqual([tcp.status, flags(tcp), tcp.ednsUdp], ['REFUSED', 'qr', undefined])
  })
})

describe('template README examples', () => {
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('template-readme.Corefile'), { UPSTREAM: upstream(up) })
  })
  after(() => tsdns?.stop())

  test('.invalid is NXDOMAIN with the SOA and EDE 21, in IN and CH', async () => {
    const r = await ask('127.0.0.1', 'foo.invalid')
    assert.deepEqual([r.status, flags(r)], ['NXDOMAIN', 'qr aa rd'])
    assert.deepEqual(rows(r.authority), [
      ['invalid.', '60', 'SOA', 'ns.invalid. hostmaster.invalid. 1 60 60 60 60'],
    ])
    assert.match(r.raw, /EDE: 21 \(Not Supported\): \(Blocked according to RFC2606\)/)
    // README: "Querying .invalid in the CH class will also cause a NXDOMAIN/SOA response"
    const ch = await ask('127.0.0.1', 'foo.invalid', 'TXT', { class: 'CH' })
    assert.equal(ch.status, 'NXDOMAIN')
    assert.deepEqual(ch.authority.map((x) => [x.class, x.type]), [['CH', 'SOA']])
  })

  test('search domain completions: relative names in the SOA become absolute', async () => {
    const r = await ask('127.0.0.1', 'www.example.com.dc1.example.com', 'AAAA')
    assert.equal(r.status, 'NXDOMAIN')
    assert.deepEqual(rows(r.authority), [['example.com.dc1.example.com.', '60', 'SOA',
      'ns.example.com. hostmaster.example.com. 1 60 60 60 60']])
  })

  test('ip-a-b-c-d.example A, its PTR, and fallthrough to forward', async () => {
    const a = await ask('127.0.0.1', 'X.IP-10-1-2-3.example')
    assert.deepEqual(rows(a.answer), [['x.ip-10-1-2-3.example.', '60', 'A', '10.1.2.3']],
      '{{ .Name }} is the lowercased name')
    const ptr = await ask('127.0.0.1', '4.3.2.1.in-addr.arpa', 'PTR')
    assert.deepEqual(sorted(ptr.answer), ['ip-1-2-3-4.example.'])
    const other = await ask('127.0.0.1', 'nope.example')
    assert.deepEqual([other.status, flags(other)], ['NXDOMAIN', 'qr aa rd ra'], 'from unbound')
    const noMatch = await ask('127.0.0.1', 'foo.in-addr.arpa', 'PTR')
    assert.deepEqual([noMatch.status, flags(noMatch)], ['SERVFAIL', 'qr rd'],
      'no regex match and no fallthrough: SERVFAIL written by the server')
  })

  test('a fabricated CNAME is followed for A only', async () => {
    const a = await ask('127.0.0.1', 'foogle.com')
    assert.deepEqual(rows(a.answer), [
      ['foogle.com.', '60', 'CNAME', 'google.com.'],
      ['google.com.', '300', 'A', '192.0.2.100'],
    ])
    const mx = await ask('127.0.0.1', 'foogle.com', 'MX')
    assert.deepEqual(rows(mx.answer), [['foogle.com.', '60', 'CNAME', 'google.com.']])
  })
})

describe('template README examples, second part', () => {
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('template-readme-2.Corefile'), {
      UPSTREAM: upstream(up),
      HOSTNAME: 'ns1.engineering.coredns.io',
    })
  })
  after(() => tsdns?.stop())

  test('SOA and NS of a dynamic domain, {$HOSTNAME} from the environment', async () => {
    const soa = await ask('127.0.0.1', 'engineering.coredns.io', 'SOA')
    assert.deepEqual(rows(soa.answer), [['engineering.coredns.io.', '3600', 'SOA',
      'ns1.engineering.coredns.io. admin.engineering.coredns.io. 1 60 120 86400 3600']])
    const below = await ask('127.0.0.1', 'x.engineering.coredns.io', 'NS')
    assert.deepEqual([below.status, below.answer, rows(below.authority)], ['NOERROR', [],
      [['engineering.coredns.io.', '3600', 'SOA',
        'ns1.engineering.coredns.io. engineering.coredns.io. 1 60 120 86400 3600']]])
    const a = await ask('127.0.0.1', 'x.engineering.coredns.io')
    assert.deepEqual([a.status, flags(a)], ['SERVFAIL', 'qr rd'], 'no template for A, no next')
  })

  test('parseInt, several patterns, authority and additional records', async () => {
    const hex = await ask('127.0.0.1', 'ip0a7b7b7b.example')
    assert.deepEqual(sorted(hex.answer), ['10.123.123.123'])
    const ext = await ask('127.0.0.1', '1.2.3.4.ext.example')
    assert.deepEqual(sorted(ext.answer), ['1.2.3.4'])
    const mx = await ask('127.0.0.1', 'ip-10-5-6-7.example', 'MX')
    assert.deepEqual(rows(mx.answer), [
      ['ip-10-5-6-7.example.', '60', 'MX', '10 ip-10-5-6-7.example.'],
    ])
    assert.deepEqual(sorted(mx.authority), ['ns0.example.', 'ns1.example.'])
    assert.deepEqual(sorted(mx.additional), ['10.5.6.7', '198.51.100.8', '203.0.113.8'])
  })
})

describe('hosts README example', () => {
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('hosts-readme.Corefile'), { UPSTREAM: upstream(up) },
      { 'example.hosts': fixture('example.hosts') })
  })
  after(() => tsdns?.stop())

  test('inline entries beat the wildcard, which matches one label only', async () => {
    const cases: [string, string, string[]][] = [
      ['www.example.com', 'A', ['192.168.1.11']],
      ['apps.example.com', 'A', ['192.168.1.10']],
      ['example.com', 'A', ['192.168.1.10']], // the file, not the wildcard (apex excluded)
      ['example.com', 'AAAA', ['fdfc:a744:27b5:3b0e::1']],
    ]
    for (const [name, type, data] of cases) {
      const r = await ask('127.0.0.1', name, type)
      assert.deepEqual([flags(r), sorted(r.answer)], ['qr aa rd', data], `${name} ${type}`)
      assert.equal(r.answer[0]!.ttl, 3600)
    }
    const deep = await ask('127.0.0.1', 'deep.apps.example.com')
    assert.deepEqual([flags(deep), sorted(deep.answer)], ['qr aa rd ra', ['192.0.2.50']],
      'two labels under the wildcard: fallthrough example.com to forward')
  })

  test('PTR from file and inline entries, names outside the zones left out', async () => {
    // hosts.go: PTR is answered whatever the zones; hostsfile.go keeps names in the zones only
    const file = await ask('127.0.0.1', '10.1.168.192.in-addr.arpa', 'PTR')
    assert.deepEqual(sorted(file.answer), ['example.com.'])
    const inline = await ask('127.0.0.1', '11.1.168.192.in-addr.arpa', 'PTR')
    assert.deepEqual(sorted(inline.answer), ['www.example.com.'])
  })

  test('a name in hosts asked for another type is NODATA; outside the zones goes on', async () => {
    const txt = await ask('127.0.0.1', 'www.example.com', 'TXT')
    assert.deepEqual([txt.status, flags(txt), txt.answer, txt.authority],
      ['NOERROR', 'qr aa rd', [], []])
    const example = await ask('127.0.0.1', 'example')
    assert.equal(flags(example), 'qr aa rd ra', '"example" is in the file but not in example.com')
  })
})

describe('errors README examples', () => {
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('errors-readme.Corefile'), { UPSTREAM: dead.addr, WINDOW: '1s' })
  })
  after(() => tsdns?.stop())

  test('whoami in example.org', async () => {
    const r = await ask('127.0.0.1', 'www.example.org', 'A', { opts: ['+tcp'] })
    assert.deepEqual(rows(r.additional).map((x) => x[2]), ['A', 'SRV'])
    assert.equal(r.additional[1]!.name, '_tcp.www.example.org.')
  })

  test('upstream timeouts are SERVFAIL and consolidated into one line', async () => {
    const answers = await Promise.all(['a', 'b', 'c'].map((n) =>
      ask('127.0.0.1', `${n}.example.net`, 'A', { timeSec: 8 })))
    for (const r of answers) assert.deepEqual([r.status, flags(r)], ['SERVFAIL', 'qr rd'])
    await tsdns.waitForLine(
      /^\[WARNING\] plugin\/errors: 3 errors like '\.\* i\/o timeout\$' occurred in last 1s$/, 3000)
    assert.ok(!tsdns.stdout().some((l) => l.includes('[ERROR]')), tsdns.stdout().join('\n'))
  })
})

describe('acl README examples', () => {
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('acl-readme.Corefile'), {})
  })
  after(() => tsdns?.stop())

  test('block: REFUSED with EDE 15 for the type and net; other types pass', async () => {
    const r = await ask('127.0.0.1', 'x.block.example')
    assert.deepEqual([r.status, flags(r)], ['REFUSED', 'qr rd'])
    assert.match(r.raw, /EDE: 15 \(Blocked\)/)
    assert.equal((await ask('127.0.0.1', 'x.block.example', 'AAAA')).status, 'NOERROR')
  })

  test('filter: NOERROR, empty, EDE 17', async () => {
    const r = await ask('127.0.0.1', 'x.filter.example')
    assert.deepEqual([r.status, flags(r), r.additional], ['NOERROR', 'qr rd', []])
    assert.match(r.raw, /EDE: 17 \(Filtered\)/)
  })

  test('allow before block: the first matching rule wins; acl zones narrow it', async () => {
    assert.equal((await ask('127.0.0.1', 'x.except.example')).status, 'REFUSED')
    const allowed = await ask('127.0.0.1', 'x.except.example', 'A', { opts: ['-b', '127.0.0.2'] })
    assert.deepEqual([allowed.status, allowed.additional[0]?.data], ['NOERROR', '127.0.0.2'])
    assert.equal((await ask('127.0.0.1', 'a.example.org')).status, 'REFUSED')
    assert.equal((await ask('127.0.0.1', 'b.example.org')).status, 'NOERROR')
  })
})

describe('any README example', () => {
  let tsdns: Tsdns
  before(async () => {
    tsdns = await serve(fixture('any-readme.Corefile'), {})
  })
  after(() => tsdns?.stop())

  test('ANY gets the RFC 8482 HINFO, not authoritative, in the asker\'s case', async () => {
    // plugin/any/any.go: SetReply, one HINFO, TTL 8482, no AA
    for (const opts of [[], ['+tcp']]) {
      const r = await ask('127.0.0.1', 'Example.ORG', 'ANY', { opts })
      assert.deepEqual([r.status, flags(r)], ['NOERROR', 'qr rd'])
      assert.deepEqual(rows(r.answer), [
        ['Example.ORG.', '8482', 'HINFO', '"ANY obsoleted" "See RFC 8482"'],
      ])
    }
    const a = await ask('127.0.0.1', 'example.org')
    assert.deepEqual(rows(a.additional).map((x) => x[2]), ['A', 'SRV'], 'other types: whoami')
    assert.equal((await ask('127.0.0.1', 'example.net', 'ANY')).status, 'REFUSED')
  })
})

describe('loop README example', () => {
  test('forwarding to itself: the probe comes back, the process stops with CoreDNS\'s line',
    async () => {
      // a fast loop may end the process before the helper sees the pid file: then its error
      // carries the output
      const started = await serve(fixture('loop-readme.Corefile'), {}).then((t) => t, String)
      let text = typeof started === 'string' ? started : ''
      if (typeof started !== 'string') {
        text = await started.waitForLine(/\[FATAL\]/, 5000)
        for (let i = 0; i < 50 && !started.status(); i++) await sleep(100)
        assert.equal(started.status()?.code, 1)
        await started.stop()
      }
      // plugin/loop/loop.go: Loop (<client> -> <ListenHosts[0]>:<port>) detected for zone ...
      const fatal = literal(`[FATAL] plugin/loop: Loop (127.0.0.1:PORT -> :${port}) detected ` +
        'for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO N.N."')
      assert.match(text, new RegExp(fatal.replace('PORT', '\\d+').replace('N\\.N', '\\d+\\.\\d+')))
    })
})
