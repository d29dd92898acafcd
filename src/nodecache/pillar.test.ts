import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadCorefile } from '../corefile/load.ts'
import { EMPTY_KUBE_DNS, type KubeDnsConfig } from './kubedns.ts'
import { clusterDnsFromEnv, renderCorefile, type PillarValues } from './pillar.ts'

// node-cache's own test template (cmd/node-cache/app/cache_app_test.go)
const TEMPLATE = `
cluster.local:53 {
    errors
    cache {
            success 9984 30
            denial 9984 5
    }
    reload
    loop
    bind __PILLAR__LOCAL__DNS__
    forward . __PILLAR__CLUSTER__DNS__ {
            force_tcp
    }
    prometheus :9253
    }
.:53 {
    errors
    cache 30
    reload
    loop
    bind __PILLAR__LOCAL__DNS__ __PILLAR__DNS__SERVER__
    forward . __PILLAR__UPSTREAM__SERVERS__ {
            force_tcp
    }
    prometheus :9253
    }
`

const values = (over: Partial<PillarValues> = {}): PillarValues => ({
  localIPs: ['169.254.20.10', '10.0.0.10'],
  localPort: 53,
  clusterDns: '9.10.11.12',
  kubeDns: EMPTY_KUBE_DNS,
  ...over,
})

const kubeDns = (stubs: Record<string, string[]>, upstreams: string[] = []): KubeDnsConfig => ({
  stubDomains: new Map(Object.entries(stubs)),
  upstreamNameservers: upstreams,
})

test('without kube-dns config: resolv.conf upstream over TCP, local IPs, cluster DNS', () => {
  const out = renderCorefile(TEMPLATE, values())
  assert.equal(out.text, `
cluster.local:53 {
    errors
    cache {
            success 9984 30
            denial 9984 5
    }
    reload
    loop
    bind 169.254.20.10 10.0.0.10
    forward . 9.10.11.12 {
            force_tcp
    }
    prometheus :9253
    }
.:53 {
    errors
    cache 30
    reload
    loop
    bind 169.254.20.10 10.0.0.10 
    forward . /etc/resolv.conf {
            force_tcp
    }
    prometheus :9253
    }
`)
  assert.equal(out.upstreamServers, '/etc/resolv.conf')
  assert.deepEqual(out.warnings, [])
  assert.doesNotThrow(() => loadCorefile({ file: 'Corefile', text: out.text }))
})

test('custom upstreams turn the TCP forward into a UDP one; stubDomains are appended in order', () => {
  const out = renderCorefile(TEMPLATE, values({
    kubeDns: kubeDns({ 'acme.local': ['1.1.1.1'], 'widget.local': ['2.2.2.2:10053', '3.3.3.3'] },
      ['2.2.2.2:10053', '3.3.3.3']),
  }))
  assert.ok(out.text.includes(`
    bind 169.254.20.10 10.0.0.10 
    forward . 2.2.2.2:10053 3.3.3.3
    prometheus :9253
    }
`))
  assert.equal(out.text.split('force_tcp').length - 1, 1, 'only the cluster domain keeps TCP')
  assert.ok(out.text.endsWith(`    prometheus :9253
    }

acme.local:53 {
    errors
    cache 30
    bind 169.254.20.10 10.0.0.10
    forward . 1.1.1.1
}

widget.local:53 {
    errors
    cache 30
    bind 169.254.20.10 10.0.0.10
    forward . 2.2.2.2:10053 3.3.3.3
}
`))
  assert.equal(out.upstreamServers, '2.2.2.2:10053 3.3.3.3')
  assert.deepEqual(out.warnings, [])
  assert.ok(!out.text.includes('__PILLAR__'))
  assert.equal(loadCorefile({ file: 'Corefile', text: out.text }).blocks.length, 4)
})

test('a template already on UDP gets the upstreams with a warning', () => {
  const out = renderCorefile('.:53 {\n  forward . __PILLAR__UPSTREAM__SERVERS__\n}\n',
    values({ kubeDns: kubeDns({}, ['8.8.8.8']) }))
  assert.equal(out.text, '.:53 {\n  forward . 8.8.8.8\n}\n')
  assert.deepEqual(out.warnings,
    ['Did not find TCP upstream block to replace, assuming upstreams already use UDP.'])
})

test('stubDomain blocks use the DNS port and every local IP', () => {
  const stubs = kubeDns({ 'corp.example': ['[2001:db8::1]:53'] })
  const out = renderCorefile('', values({ localIPs: ['fd00::10'], localPort: 1053, kubeDns: stubs }))
  assert.equal(out.text, `
corp.example:1053 {
    errors
    cache 30
    bind fd00::10
    forward . [2001:db8::1]:53
}
`)
})

test('with no upstream Service IP, __PILLAR__CLUSTER__DNS__ stays for the Corefile error to point at', () => {
  const out = renderCorefile('forward . __PILLAR__CLUSTER__DNS__\n', values({ clusterDns: undefined }))
  assert.equal(out.text, 'forward . __PILLAR__CLUSTER__DNS__\n')
})

test('the upstream Service IP comes from its env variable', () => {
  assert.deepEqual(clusterDnsFromEnv('kube-dns-upstream', { KUBE_DNS_UPSTREAM_SERVICE_HOST: '10.96.0.11' }),
    { name: 'KUBE_DNS_UPSTREAM_SERVICE_HOST', ip: '10.96.0.11' })
  assert.deepEqual(clusterDnsFromEnv('kube-dns', { KUBE_DNS_SERVICE_HOST: 'fd00::a' }),
    { name: 'KUBE_DNS_SERVICE_HOST', ip: 'fd00::a' })
  assert.deepEqual(clusterDnsFromEnv('kube-dns', {}), { name: 'KUBE_DNS_SERVICE_HOST', ip: undefined })
  assert.deepEqual(clusterDnsFromEnv('kube-dns', { KUBE_DNS_SERVICE_HOST: 'kube-dns' }),
    { name: 'KUBE_DNS_SERVICE_HOST', ip: undefined })
})

test('__PILLAR__PROMETHEUS__ENDPOINT__ gets -prometheus-listen-address (sigs.k8s.io node-cache)', () => {
  const base = '.:53 {\n    prometheus __PILLAR__PROMETHEUS__ENDPOINT__\n}\n'
  assert.equal(renderCorefile(base, values()).text, '.:53 {\n    prometheus :9253\n}\n')
  const out = renderCorefile(base, values({ prometheusEndpoint: '127.0.0.1:9254' }))
  assert.equal(out.text, '.:53 {\n    prometheus 127.0.0.1:9254\n}\n')
  assert.doesNotThrow(() => loadCorefile({ file: 'Corefile', text: out.text }))
})
