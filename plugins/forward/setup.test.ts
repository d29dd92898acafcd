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
const tos = (body: string): string[] => one(body).upstreams
  .map((u) => `${u.tls ? 'tls' : 'dns'}://${u.to}${u.serverName ? `%${u.serverName}` : ''}`)

test('CoreDNS defaults', () => {
  const c = one('forward . 127.0.0.1')
  assert.equal(c.from, '.')
  assert.deepEqual(c.upstreams, [
    { host: '127.0.0.1', port: 53, family: 4, to: '127.0.0.1:53', tls: false,
      serverName: undefined },
  ])
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
  assert.deepEqual(tos('forward . 127.0.0.1 127.0.0.1:53 dns://127.0.0.1 tls://127.0.0.1'),
    ['dns://127.0.0.1:53', 'tls://127.0.0.1:853'])
  assert.deepEqual(tos('forward . resolv.conf 10.0.0.1'), ['dns://10.0.0.1:53', 'dns://[::1]:53'])
  assert.deepEqual(tos('forward . tls://127.0.0.1 {\ntls_servername dns.example\n}'),
    ['tls://127.0.0.1:853%dns.example'])
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
  ['forward . https://1.1.1.1', 'COREFILE_UNSUPPORTED', 2, 11,
    /'https' is not supported as a destination protocol in forward: 1.1.1.1/],
  ['forward . dns.example.com', 'COREFILE_VALUE', 2, 11,
    /not an IP address or file: 'dns.example.com'/],
  ['forward . [::1]', 'COREFILE_VALUE', 2, 11, /not an IP address or file/],
  ['forward . empty.conf', 'COREFILE_VALUE', 2, 11, /no nameservers found/],
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
  ['forward . 1.2.3.4 {\nresolver 10.0.0.1\n}', 'COREFILE_UNSUPPORTED', 3, 1,
    /'resolver' is not supported by tsdns/],
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
