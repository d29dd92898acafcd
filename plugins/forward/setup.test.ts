import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { logger } from '../../src/plugin/log.ts'
import { hostileFiles, MAX_REFUSAL_GROWTH, rssGrowth } from '../../test/helpers/hostile-files.ts'
import type { ForwardConfig } from './config.ts'
import { parseForward } from './setup.ts'

const dir = mkdtempSync(join(tmpdir(), 'forward-setup-'))
after(() => rmSync(dir, { recursive: true, force: true }))
writeFileSync(join(dir, 'resolv.conf'), [
  '# comment', 'search example.org', 'nameserver 10.0.0.1', 'nameserver ::1',
  'nameserver not-an-ip', '; nameserver 10.0.0.9', 'options ndots:5', '',
].join('\n'))
writeFileSync(join(dir, 'empty.conf'), 'search example.org\n')

const warnings: string[] = []
const log = { ...logger('forward'), warning: (m: string) => void warnings.push(m) }

function parse(body: string): ForwardConfig[] {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parseForward(blocks[0]!.directives.filter((d) => d.name.text === 'forward'), { dir, log })
}

const one = (body: string): ForwardConfig => parse(body)[0]!
const tos = (body: string): string[] => one(body).to.map((u) => {
  const at = 'hostname' in u ? `${u.hostname}:${u.port}` : u.to
  return `${u.transport}://${at}${u.serverName ? `%${u.serverName}` : ''}`
})

test('CoreDNS defaults', () => {
  const c = one('forward . 127.0.0.1')
  assert.equal(c.from, '.')
  assert.deepEqual(c.to, [
    { host: '127.0.0.1', port: 53, family: 4, to: '127.0.0.1:53', transport: 'dns',
      serverName: undefined },
  ])
  assert.deepEqual([c.dohMethod, c.sourceAddress, c.resolvers], ['POST', undefined, []])
  assert.equal(c.expireMs, 10_000)
  assert.equal(c.maxFails, 2)
  assert.equal(c.maxConnectAttempts, undefined) // 2 per upstream, as CoreDNS 1.14.7
  assert.equal(c.readTimeoutMs, 2000)
  assert.equal(c.healthCheckMs, 500)
  assert.equal(c.healthCheckDomain, '.')
  assert.equal(c.healthCheckRecursion, true)
  assert.equal(c.policy, 'random')
  assert.equal(c.maxConcurrent, 0)
  assert.equal(c.forceTcp || c.preferUdp || c.failfastAllUnhealthy || c.nextOnNodata, false)
})

test('TO forms: ports, IPv6, schemes, per-upstream TLS names, files; deduplicated', () => {
  assert.deepEqual(
    tos('forward Example.ORG 127.0.0.1:5353 [::1]:53 dns://10.0.0.1 tls://9.9.9.9%dns.quad9.net ' +
      'tls://1.1.1.1:10853 0:0::2 tls://[2001:db8::1%name]:8853'),
    ['dns://127.0.0.1:5353', 'dns://[::1]:53', 'dns://10.0.0.1:53',
      'tls://9.9.9.9:853%dns.quad9.net',
      'tls://1.1.1.1:10853', 'dns://[::2]:53', 'tls://[2001:db8::1]:8853%name'],
  )
  assert.equal(one('forward example.org 127.0.0.1').from, 'example.org.')
  // deduplicated by IP:port whatever the scheme, as CoreDNS
  assert.deepEqual(tos('forward . 127.0.0.1 127.0.0.1:53 dns://127.0.0.1 tls://127.0.0.1 ' +
    'tls://127.0.0.1:53 [::1] [::1]:53'),
  ['dns://127.0.0.1:53', 'tls://127.0.0.1:853', 'dns://[::1]:53'])
  assert.deepEqual(tos('forward . resolv.conf 10.0.0.1'), ['dns://10.0.0.1:53', 'dns://[::1]:53'])
  assert.deepEqual(tos('forward . tls://127.0.0.1 {\ntls_servername dns.example\n}'),
    ['tls://127.0.0.1:853%dns.example'])
})

test('https:// (DoH, port 443) takes tls_servername; a %NAME there is dropped, as CoreDNS', () => {
  assert.deepEqual(tos('forward . https://9.9.9.9 https://[2001:db8::1]:8443 ' +
    'https://1.1.1.1%one.example {\ntls_servername dns.quad9.net\n}'),
  ['https://9.9.9.9:443%dns.quad9.net', 'https://[2001:db8::1]:8443%dns.quad9.net',
    'https://1.1.1.1:443%dns.quad9.net'])
  assert.deepEqual(tos('forward . https://1.1.1.1%one.example'), ['https://1.1.1.1:443'])
})

test('hostname TOs: kept for resolution at start, with their scheme, port and server name', () => {
  assert.deepEqual(tos('forward . dns-upstream.example:5353 tls://dot.example%name.example ' +
    'https://doh.example localhost 127.0.0.1'), [
    'dns://dns-upstream.example:5353', 'tls://dot.example:853%name.example',
    'https://doh.example:443', 'dns://localhost:53', 'dns://127.0.0.1:53'])
  // a file without nameservers is skipped; only one that leaves nothing is an error
  assert.deepEqual(tos('forward . empty.conf 10.0.0.1'), ['dns://10.0.0.1:53'])
})

test('doh_method, source_address, resolver', () => {
  const c = one(`forward . 127.0.0.1 {
    doh_method GET
    source_address ::1
    resolver 10.0.0.53 10.0.0.54:5353 [fd00::53]:53 fd00::54
  }`)
  assert.equal(c.dohMethod, 'GET')
  assert.equal(c.sourceAddress, '::1')
  assert.deepEqual(c.resolvers.map((r) => r.to),
    ['10.0.0.53:53', '10.0.0.54:5353', '[fd00::53]:53', '[fd00::54]:53'])
})

test('a CIDR FROM uses its first reverse zone, with a warning', () => {
  assert.equal(one('forward 10.0.0.0/15 127.0.0.1').from, '0.10.in-addr.arpa.')
  assert.match(warnings.at(-1) ?? '', /multiple zones\. Using only '0\.10\.in-addr\.arpa\.'/)
})

test('every option', () => {
  const c = one(`forward . 127.0.0.1 {
    except Example.org example.NET
    force_tcp
    prefer_udp
    expire 30s
    max_age 1m
    max_idle_conns 4
    max_fails 0
    max_connect_attempts 3
    read_timeout 500ms
    tls_servername dns.example
    policy parallel
    health_check 2s no_rec domain Health.Example
    max_concurrent 1000
    next NXDOMAIN servfail
    next_on_nodata
    failover SERVFAIL REFUSED
    failfast_all_unhealthy_upstreams
  }`)
  assert.deepEqual(c.except, ['example.org.', 'example.net.'])
  assert.equal(c.forceTcp && c.preferUdp && c.nextOnNodata && c.failfastAllUnhealthy, true)
  assert.deepEqual(
    [c.expireMs, c.maxAgeMs, c.maxIdleConns, c.maxFails, c.maxConnectAttempts, c.readTimeoutMs],
    [30_000, 60_000, 4, 0, 3, 500],
  )
  assert.equal(c.tlsServerName, 'dns.example')
  assert.equal(c.policy, 'parallel')
  assert.deepEqual([c.healthCheckMs, c.healthCheckRecursion, c.healthCheckDomain],
    [2000, false, 'health.example.'])
  assert.equal(c.maxConcurrent, 1000)
  assert.deepEqual(c.next, [3, 2])
  assert.deepEqual(c.failover, [2, 5])
  for (const p of ['random', 'round_robin', 'sequential']) {
    assert.equal(one(`forward . 1.2.3.4 {\npolicy ${p}\n}`).policy, p)
  }
})

test('several stanzas keep their order', () => {
  const cs = parse('forward lab.example.local 10.20.0.1\nforward example.local 10.0.0.1\n' +
    'forward . 10.0.0.2')
  assert.deepEqual(cs.map((c) => c.from), ['lab.example.local.', 'example.local.', '.'])
})

const sixteen = Array.from({ length: 16 }, (_, i) => `10.0.0.${i + 1}`).join(' ')
const fails: readonly (readonly [string, string, number, number, RegExp])[] = [
  ['forward .', 'COREFILE_ARGS', 2, 9, /wrong argument count/],
  ['forward', 'COREFILE_ARGS', 2, 1, /wrong argument count/],
  ['forward . 127.0.0.1:99999', 'COREFILE_VALUE', 2, 11, /invalid port '99999'/],
  ['forward . 127.0.0.1:dns', 'COREFILE_VALUE', 2, 11, /invalid port 'dns'/],
  ['forward . quic://1.1.1.1', 'COREFILE_UNSUPPORTED', 2, 11,
    /'quic' is not supported as a destination protocol in forward: 1.1.1.1/],
  ['forward . https://1.1.1.1/dns-query', 'COREFILE_VALUE', 2, 11,
    /paths are not allowed in HTTPS upstream addresses/],
  ['forward . bad..name', 'COREFILE_VALUE', 2, 11,
    /not an IP address, file, or valid domain: 'bad..name'/],
  ['forward . dns.example:http', 'COREFILE_VALUE', 2, 11, /not an IP address, file, or valid/],
  ['forward . empty.conf', 'COREFILE_VALUE', 2, 1, /no valid upstream addresses found/],
  [`forward . ${sixteen}`, 'COREFILE_VALUE', 2, 1,
    /more than 15 TOs configured: 16/],
  ['forward . 1.2.3.4 {\npolicy fastest\n}', 'COREFILE_VALUE', 3, 8, /unknown policy 'fastest'/],
  ['forward . 1.2.3.4 {\nmax_fails -1\n}', 'COREFILE_VALUE', 3, 11, /out of range/],
  ['forward . 1.2.3.4 {\nmax_fails\n}', 'COREFILE_ARGS', 3, 1, /wrong argument count/],
  ['forward . 1.2.3.4 {\nread_timeout 0s\n}', 'COREFILE_VALUE', 3, 14,
    /read_timeout must be greater than 0/],
  ['forward . 1.2.3.4 {\nexpire -1s\n}', 'COREFILE_VALUE', 3, 8, /expire can't be negative/],
  ['forward . 1.2.3.4 {\nexpire 10\n}', 'COREFILE_VALUE', 3, 8,
    /invalid duration '10': missing unit/],
  ['forward . 1.2.3.4 {\nmax_age 1s\n}', 'COREFILE_VALUE', 3, 9,
    /max_age \(1s\) must be greater than or equal to expire/],
  ['forward . 1.2.3.4 {\nhealth_check -1s\n}', 'COREFILE_VALUE', 3, 14,
    /health_check can't be negative/],
  ['forward . 1.2.3.4 {\nhealth_check 1s rec\n}', 'COREFILE_VALUE', 3, 17,
    /health_check: unknown option rec/],
  ['forward . 1.2.3.4 {\nhealth_check 1s domain\n}', 'COREFILE_ARGS', 3, 17,
    /wrong argument count/],
  ['forward . 1.2.3.4 {\nmax_concurrent -5\n}', 'COREFILE_VALUE', 3, 16,
    /max_concurrent can't be negative: -5/],
  ['forward . 1.2.3.4 {\nnext FOO\n}', 'COREFILE_VALUE', 3, 6, /FOO is not a valid rcode/],
  ['forward . 1.2.3.4 {\nfailover SERVFAIL NOERROR\n}', 'COREFILE_VALUE', 3, 19,
    /NoError cannot be used in failover/],
  ['forward . tls://1.2.3.4%a.example {\ntls_servername b.example\n}', 'COREFILE_VALUE', 2, 11,
    /both forward \('b.example'\) and proxy level \('a.example'\) TLS servernames/],
  ['forward . 1.2.3.4 {\ntls /nonexistent/ca.pem\n}', 'COREFILE_VALUE', 3, 5,
    /cannot read '\/nonexistent\/ca.pem': ENOENT/],
  ['forward . 1.2.3.4 {\ntls resolv.conf\n}', 'COREFILE_VALUE', 3, 5,
    /no CA certificate in 'resolv.conf'/],
  ['forward . 1.2.3.4 {\ntls resolv.conf empty.conf\n}', 'COREFILE_VALUE', 3, 5,
    /invalid TLS certificate or key/],
  ['forward . 1.2.3.4 {\ntls a b c d\n}', 'COREFILE_ARGS', 3, 11, /wrong argument count/],
  ['forward . 1.2.3.4 {\nforce_tcp yes\n}', 'COREFILE_ARGS', 3, 11, /wrong argument count/],
  ['forward . 1.2.3.4 {\nexcept\n}', 'COREFILE_ARGS', 3, 1, /wrong argument count/],
  ['forward . 1.2.3.4 {\nresolver foo\n}', 'COREFILE_VALUE', 3, 10,
    /resolver must be an IP address or IP:port: "foo"/],
  ['forward . 1.2.3.4 {\nresolver\n}', 'COREFILE_ARGS', 3, 1, /wrong argument count/],
  ['forward . 1.2.3.4 {\nsource_address foo\n}', 'COREFILE_VALUE', 3, 16,
    /invalid IP address: foo/],
  ['forward . 1.2.3.4 {\ndoh_method get\n}', 'COREFILE_VALUE', 3, 12,
    /doh_method must be either POST or GET/],
  ['forward . 1.2.3.4 {\nfallthrough\n}', 'COREFILE_UNKNOWN', 3, 1,
    /unknown property 'fallthrough'/],
  ['forward . 1.2.3.4 {\nbogus\n}', 'COREFILE_UNKNOWN', 3, 1, /unknown property 'bogus'/],
]

for (const [body, code, line, col, message] of fails) {
  test(`fails: ${body.replaceAll('\n', ' ')}`, () => {
    assert.throws(() => parse(body), (err: CorefileError) => {
      assert.deepEqual({ code: err.code, line: err.line, col: err.col }, { code, line, col })
      assert.equal(err.plugin, 'forward')
      assert.match(err.message, message)
      return true
    })
  })
}

test('resolv.conf, certificate, key and CA: only a regular file within its limit', async () => {
  // at setup, a located error, without hanging on the FIFO or reading /dev/zero for ever
  const cases: [string, (p: string) => string, number, number][] = [
    ['resolv.conf', (p) => `forward . ${p}`, 2, 11],
    ['CA', (p) => `forward . 1.2.3.4 {\ntls ${p}\n}`, 3, 5],
    ['certificate', (p) => `forward . 1.2.3.4 {\ntls ${p} resolv.conf\n}`, 3, 5],
    ['key', (p) => `forward . 1.2.3.4 {\ntls resolv.conf ${p}\n}`, 3, 17],
  ]
  const growth = await rssGrowth(() => {
    for (const [file, corefile, line, col] of cases) {
      const max = file === 'resolv.conf' ? 64 << 10 : 1 << 20
      for (const h of hostileFiles(dir, max)) {
        assert.throws(() => parse(corefile(h.path)), (err: CorefileError) => {
          assert.deepEqual([err.code, err.line, err.col], ['COREFILE_VALUE', line, col])
          assert.match(err.message, h.error)
          assert.match(err.message, /cannot read/)
          return true
        }, `${file}: ${h.what}`)
      }
    }
  })
  assert.ok(growth < MAX_REFUSAL_GROWTH, `memory grew by ${growth} bytes`)
  // the limits are limits, not less: a file of exactly the limit is read
  const full = join(dir, 'full.conf')
  writeFileSync(full, `nameserver 10.0.0.7\n${'#'.repeat((64 << 10) - 21)}\n`)
  assert.deepEqual(tos(`forward . ${full}`), ['dns://10.0.0.7:53'])
})
