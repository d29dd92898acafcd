import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FlagError, parseFlags } from '../cli/flags.ts'
import { isNodeCacheMode, nodeCacheFlags, parseNodeCacheFlags } from './flags.ts'

function params(argv: string[], port = 53, conf?: string) {
  const { values, rest } = parseFlags(argv, nodeCacheFlags)
  assert.deepEqual(rest, [])
  return parseNodeCacheFlags(values, port, conf)
}

test('node-cache defaults', () => {
  assert.deepEqual(params(['-localip', '169.254.20.10']), {
    localIPs: ['169.254.20.10'],
    family: 4,
    localPort: 53,
    healthPort: 8080,
    setupInterface: true,
    interfaceName: 'nodelocaldns',
    interfaceType: 'dummy',
    setupIptables: true,
    syncIntervalMs: 60_000,
    skipTeardown: false,
    metricsListenAddress: '0.0.0.0:9353',
    prometheusListenAddress: ':9253',
    baseCorefile: '/etc/coredns/Corefile.base',
    corefile: '/etc/Corefile',
    kubednsCM: '',
    upstreamSvc: 'kube-dns',
    reloadWithSignal: false,
  })
})

test('every flag, Go style', () => {
  const p = params([
    '-localip=169.254.20.10,10.96.0.10', '-setupinterface=false', '-interfacename', 'nl0',
    '-interfacetype', 'ifb', '--setupiptables=false', '-syncinterval', '5', '-skipteardown',
    '-metrics-listen-address', '', '-prometheus-listen-address', '127.0.0.1:9254', '-basecorefile', '/b', '-corefile', '/c', '-kubednscm', '/k',
    '-upstreamsvc', 'kube-dns-upstream', '-health-port', '9090', '-reloadwithsignal',
  ], 1053)
  assert.deepEqual(p, {
    localIPs: ['169.254.20.10', '10.96.0.10'],
    family: 4,
    localPort: 1053,
    healthPort: 9090,
    setupInterface: false,
    interfaceName: 'nl0',
    interfaceType: 'ifb',
    setupIptables: false,
    syncIntervalMs: 5000,
    skipTeardown: true,
    metricsListenAddress: '',
    prometheusListenAddress: '127.0.0.1:9254',
    baseCorefile: '/b',
    corefile: '/c',
    kubednsCM: '/k',
    upstreamSvc: 'kube-dns-upstream',
    reloadWithSignal: true,
  })
})

test('-conf names the generated Corefile, over -corefile', () => {
  assert.equal(params(['-localip', '169.254.20.10', '-corefile', '/c'], 53, '/conf').corefile, '/conf')
})

test('IPv6 local IPs', () => {
  const p = params(['-localip', 'fd00::10,fe80:169:254::1'])
  assert.equal(p.family, 6)
  assert.deepEqual(p.localIPs, ['fd00::10', 'fe80:169:254::1'])
})

test('node-cache mode is -localip', () => {
  assert.equal(isNodeCacheMode(parseFlags(['-localip', '1.2.3.4'], nodeCacheFlags).values), true)
  assert.equal(isNodeCacheMode(parseFlags(['-skipteardown'], nodeCacheFlags).values), false)
})

const intervals: [string, number][] = [
  ['60', 60_000], ['1', 1000], ['500ms', 500], ['1m30s', 90_000], ['2h', 7_200_000],
]
for (const [text, ms] of intervals) {
  test(`-syncinterval ${text} is ${ms} ms`, () => {
    assert.equal(params(['-localip', '169.254.20.10', '-syncinterval', text]).syncIntervalMs, ms)
  })
}

// fails
const bad: [string[], RegExp][] = [
  [['-localip', ''], /invalid localip specified - ""/],
  [['-localip', '169.254.20'], /invalid localip specified - "169.254.20"/],
  [['-localip', '169.254.20.10,fd00::10'], /unexpected IP Family for localIP - "fd00::10", want IPv6=false/],
  [['-localip', 'fd00::10,169.254.20.10'], /unexpected IP Family for localIP - "169.254.20.10", want IPv6=true/],
  [['-localip', '169.254.20.10', '-health-port', 'http'], /invalid healthcheck port specified - "http"/],
  [['-localip', '169.254.20.10', '-health-port', '70000'], /invalid healthcheck port specified - "70000"/],
  [['-localip', '169.254.20.10', '-syncinterval', 'soon'], /-syncinterval: invalid duration 'soon'/],
  [['-localip', '169.254.20.10', '-syncinterval', '0'], /-syncinterval: expecting 1ms to 24 days/],
  [['-localip', '169.254.20.10', '-syncinterval', '-5s'], /-syncinterval: expecting 1ms to 24 days/],
  [['-localip', '169.254.20.10', '-syncinterval', '500us'], /-syncinterval: expecting 1ms to 24 days/],
  [['-localip', '169.254.20.10', '-syncinterval', '100d'],
    /-syncinterval: invalid duration '100d': unknown unit 'd'/],
  [['-localip', '169.254.20.10', '-interfacetype', 'vxlan'],
    /invalid -interfacetype "vxlan": expecting one of dummy, ifb, bridge, veth/],
  [['-localip', '169.254.20.10', '-interfacename', 'a-very-long-name0'], /invalid -interfacename/],
  [['-localip', '169.254.20.10', '-interfacename', 'a/b'], /invalid -interfacename/],
]
for (const [argv, message] of bad) {
  test(`fails: ${argv.join(' ')}`, () => {
    assert.throws(() => params(argv), (err: Error) => err instanceof FlagError && message.test(err.message))
  })
}
