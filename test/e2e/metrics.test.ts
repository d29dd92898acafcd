// /metrics of a real tsdns after real traffic from dig and kdig: CoreDNS's series with the right
// counts, a scrape that promtool accepts, one listener shared by two server blocks, and a reload
// that neither closes it nor loses a scrape.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { dig, freePort, sleep, startTsdns, type Tsdns } from '../helpers/index.ts'

let port: number
let mport: number
let tsdns: Tsdns

const corefile = (extraZone: string) => `
example.org:${port} {
    bind 127.0.0.1 ::1
    whoami
    prometheus 127.0.0.1:${mport}
}
${extraZone}:${port} {
    bind 127.0.0.1 ::1
    whoami
    prometheus 127.0.0.1:${mport}
}
`

before(async () => {
  port = await freePort('both')
  mport = await freePort('tcp')
  tsdns = await startTsdns(corefile('example.com'))
})

after(async () => {
  await tsdns?.stop()
})

async function scrape(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${mport}/metrics`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return res.text()
}

interface Sample {
  readonly name: string
  readonly labels: Record<string, string>
  readonly value: number
}

function samples(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) continue
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!
    out.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return out
}

/** The one sample with exactly these labels (every label named, so label names are checked too). */
function value(all: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort())
  return all.find(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want,
  )?.value
}

const server = () => `dns://127.0.0.1:${port}`

// Runs first, before any query reached tsdns (whose Corefile has no reload and no health).
// CoreDNS's DNS series are vectors whose label sets appear on first use; only plugin_enabled (set
// at startup) and the unlabelled counters show.
test('before the first query: no per-zone DNS series, only what CoreDNS sets at startup', async () => {
  const all = samples(await scrape())
  const dns = all.filter((s) => s.name.startsWith('coredns_dns_')).map((s) => s.name)
  assert.deepEqual(dns, [], 'no coredns_dns_* sample before a query')
  const z = { server: server(), zone: 'example.org.', view: '' }
  assert.equal(value(all, 'coredns_plugin_enabled', { ...z, name: 'whoami' }), 1)
  assert.equal(value(all, 'coredns_panics_total', {}), 0)
  // Unlabelled counters CoreDNS registers at init: there even without *reload* or *health*.
  assert.equal(value(all, 'coredns_reload_failed_total', {}), 0)
  assert.equal(value(all, 'coredns_health_request_failures_total', {}), 0)
})

test('traffic counted by zone, proto, family, type, rcode, plugin; promtool agrees', async () => {
  const queries = [
    dig({ port, name: 'www.example.org' }),
    dig({ port, name: 'www.example.org', opts: ['+dnssec'] }),
    dig({ tool: 'kdig', port, name: 'a.example.com', type: 'AAAA', opts: ['+tcp'] }),
    dig({ server: '::1', port, name: 'example.org', type: 'CAA' }),
    dig({ port, name: 'example.net' }), // no zone: REFUSED, never reaches a chain
    dig({ port, name: 'version.bind', type: 'TXT', class: 'CH' }),
  ]
  const statuses = (await Promise.all(queries)).map((r) => r.status)
  assert.deepEqual(statuses, ['NOERROR', 'NOERROR', 'NOERROR', 'NOERROR', 'REFUSED', 'REFUSED'])

  const text = await scrape()
  const check = spawnSync('promtool', ['check', 'metrics'], {
    input: text,
    encoding: 'utf8',
    timeout: 10_000,
  })
  assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}`)

  const all = samples(text)
  const z = (zone: string) => ({ server: server(), zone, view: '' })
  const req = (zone: string, proto: string, family: string, type: string) =>
    value(all, 'coredns_dns_requests_total', { ...z(zone), proto, family, type })
  assert.equal(req('example.org.', 'udp', '1', 'A'), 2)
  assert.equal(req('example.com.', 'tcp', '1', 'AAAA'), 1)
  const v6 = { server: `dns://[::1]:${port}`, zone: 'example.org.', view: '' }
  const caa = value(all, 'coredns_dns_requests_total', {
    ...v6,
    proto: 'udp',
    family: '2',
    type: 'other',
  })
  assert.equal(caa, 1, 'the ::1 listener is its own server; CAA is "other", IPv6 is family 2')
  assert.equal(req('dropped', 'udp', '1', 'A'), 1)
  assert.equal(req('dropped', 'udp', '1', 'TXT'), 1)
  const rsp = (zone: string, rcode: string, plugin: string) =>
    value(all, 'coredns_dns_responses_total', { ...z(zone), rcode, plugin })
  assert.equal(rsp('example.org.', 'NOERROR', 'whoami'), 2)
  assert.equal(rsp('example.com.', 'NOERROR', 'whoami'), 1)
  assert.equal(rsp('dropped', 'REFUSED', ''), 2)
  assert.equal(value(all, 'coredns_dns_do_requests_total', z('example.org.')), 1)
  assert.equal(value(all, 'coredns_dns_request_duration_seconds_count', z('example.org.')), 2)
  assert.equal(
    value(all, 'coredns_dns_request_size_bytes_count', { ...z('example.com.'), proto: 'tcp' }),
    1,
  )
  const rsize = value(all, 'coredns_dns_response_size_bytes_sum', {
    ...z('example.com.'),
    proto: 'tcp',
  })
  assert.ok(rsize! > 50 && rsize! < 512, `response size ${rsize}`)
  assert.equal(
    value(all, 'coredns_dns_request_duration_seconds_bucket', { ...z('example.org.'), le: '+Inf' }),
    2,
  )
  for (const zone of ['example.org.', 'example.com.']) {
    for (const name of ['prometheus', 'whoami']) {
      assert.equal(value(all, 'coredns_plugin_enabled', { ...z(zone), name }), 1, `${zone} ${name}`)
    }
  }
  assert.equal(value(all, 'coredns_panics_total', {}), 0)
  const build = all.find((s) => s.name === 'coredns_build_info')
  assert.equal(build?.labels['goversion'], process.version)
  assert.ok(all.some((s) => s.name === 'process_cpu_seconds_total' && s.value > 0))
  assert.ok(all.some((s) => s.name === 'process_resident_memory_bytes' && s.value > 0))
})

test('a reload keeps the shared listener up: no scrape fails, the new zones appear', async () => {
  let failures = 0
  let scrapes = 0
  let polling = true
  const poller = (async () => {
    for (let i = 0; polling && i < 2000; i++) {
      try {
        await scrape()
      } catch {
        failures++
      }
      scrapes++
    }
  })()
  // Ten reloads, one of them with a broken Corefile (the old configuration keeps serving).
  for (let i = 0; i < 10; i++) {
    const text =
      i === 4 ? 'example.org {\n    prometheus 127.0.0.1:notaport\n}\n' : corefile(`z${i}.test`)
    writeFileSync(tsdns.confPath, text)
    tsdns.proc.kill('SIGUSR1')
    if (i === 4) await tsdns.waitForLine(/^\[ERROR\] Restart failed: /, 5000)
    else await tsdns.waitForLine(new RegExp(`^z${i}\\.test\\.:${port} on 127\\.0\\.0\\.1$`), 5000)
    await sleep(30) // let scrapes land between reloads too
  }
  polling = false
  await poller
  // caddy's lines, which reload scripts wait on: every SIGUSR1, and a completion per good reload
  const lines = (text: string) => tsdns.stdout().filter((l) => l === `[INFO] ${text}`).length
  assert.deepEqual([lines('SIGUSR1: Reloading'), lines('Reloading complete')], [10, 9])
  assert.ok(scrapes > 20, `only ${scrapes} scrapes`)
  assert.equal(failures, 0, `${failures} of ${scrapes} scrapes failed`)
  const all = samples(await scrape())
  const enabled = all
    .filter((s) => s.name === 'coredns_plugin_enabled')
    .map((s) => s.labels['zone'])
  assert.deepEqual([...new Set(enabled)].sort(), ['example.org.', 'z9.test.'])
  assert.equal((await dig({ port, name: 'www.z9.test' })).status, 'NOERROR')
  assert.equal((await dig({ port, name: 'www.example.com' })).status, 'REFUSED')
})
