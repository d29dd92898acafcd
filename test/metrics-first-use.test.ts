// Which metric families /metrics shows, and when, as CoreDNS 1.14.7 shows them for the same
// Corefile (recorded with the binary, see test/compat): before any query only the unlabelled
// counters and gauges registered at init (whichever plugins the Corefile uses) and the gauges set
// at setup; a labelled series only from its first use.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { answer, buildQuery, fakeUpstream, freePort, rcodeName, startTsdns, udpQuery }
  from './helpers/index.ts'
import type { FakeUpstream, Tsdns } from './helpers/index.ts'

let up: FakeUpstream
let port: number
let mport: number
let tsdns: Tsdns

before(async () => {
  up = await fakeUpstream((q) => answer(q, q.type === 'A' ? [`${q.name} 300 IN A 192.0.2.53`] : []))
  ;[port, mport] = [await freePort('both'), await freePort('tcp')]
  tsdns = await startTsdns(`.:${port} {
    bind 127.0.0.1
    prometheus 127.0.0.1:${mport}
    acl a.example {
        block type AAAA net 127.0.0.0/8
    }
    hosts {
        192.0.2.1 h.example
        fallthrough
    }
    dns64
    cache
    forward . ${up.addr}
}`)
})

after(async () => {
  await tsdns?.stop()
  await up?.close()
})

/** The coredns_ series as "family{label names}", once each, sorted. */
async function families(metricsPort = mport): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
  const seen = new Set<string>()
  for (const line of text.split('\n')) {
    const m = /^(coredns_\w+?)(?:_bucket|_sum|_count)?(?:\{(.*)\})? \S+$/.exec(line)
    if (m === null) continue
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="/g)].map((l) => l[1]).filter((l) => l !== 'le')
    seen.add(`${m[1]}{${labels.sort().join(',')}}`)
  }
  return [...seen].sort()
}

const AT_START = [
  'coredns_build_info{goversion,revision,version}',
  'coredns_forward_healthcheck_broken_total{}',
  'coredns_forward_max_concurrent_rejects_total{}',
  'coredns_health_request_duration_seconds{}',
  'coredns_health_request_failures_total{}',
  'coredns_hosts_entries{hostsfile}',
  'coredns_hosts_reload_timestamp_seconds{}',
  'coredns_local_localhost_requests_total{}',
  'coredns_panics_total{}',
  'coredns_plugin_enabled{name,server,view,zone}',
  'coredns_reload_failed_total{}',
]

test('before any query: what CoreDNS registers at init and sets at setup, no labelled counter',
  async () => {
    assert.deepEqual(await families(), AT_START)
  })

test('after a hosts answer, a miss, a hit and a block: the series those made', async () => {
  const ask = async (name: string, type: 'A' | 'AAAA') =>
    rcodeName((await udpQuery('127.0.0.1', port, buildQuery(name, type)))!)
  assert.equal(await ask('h.example', 'A'), 'NOERROR')
  assert.equal(await ask('b.example', 'A'), 'NOERROR')
  assert.equal(await ask('b.example', 'A'), 'NOERROR')
  assert.equal(await ask('a.example', 'AAAA'), 'REFUSED')
  const expected = [
    ...AT_START,
    'coredns_acl_allowed_requests_total{server,view}',
    'coredns_acl_blocked_requests_total{server,view,zone}',
    'coredns_cache_entries{server,type,view,zones}',
    'coredns_cache_hits_total{server,type,view,zones}',
    'coredns_cache_misses_total{server,view,zones}',
    'coredns_cache_requests_total{server,view,zones}',
    'coredns_dns_request_duration_seconds{server,view,zone}',
    'coredns_dns_request_size_bytes{proto,server,view,zone}',
    'coredns_dns_requests_total{family,proto,server,type,view,zone}',
    'coredns_dns_response_size_bytes{proto,server,view,zone}',
    'coredns_dns_responses_total{plugin,rcode,server,view,zone}',
    'coredns_proxy_conn_cache_misses_total{proto,proxy_name,to}',
    'coredns_proxy_request_duration_seconds{proxy_name,rcode,to}',
  ]
  assert.deepEqual(await families(), expected.sort())
})

test('without forward or hosts: their unlabelled series all the same, as CoreDNS registers at init',
  async () => {
    const [dns, metrics] = [await freePort('both'), await freePort('tcp')]
    const alone = await startTsdns(
      `.:${dns} {\n    bind 127.0.0.1\n    prometheus 127.0.0.1:${metrics}\n    whoami\n}`)
    try {
      const onlyWithHosts = 'coredns_hosts_entries{hostsfile}'
      assert.deepEqual(await families(metrics), AT_START.filter((f) => f !== onlyWithHosts))
    } finally {
      await alone.stop()
    }
  })
