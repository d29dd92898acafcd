// log, errors, acl, any and loadbalance end to end: the real tsdns process in front of a real
// unbound, asked by dig, kdig and a raw client over UDP, TCP, IPv4 and IPv6; the query log and
// error lines read from tsdns's standard output. Everything on loopback.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { answer, buildQuery, dig, fakeUpstream, freePort, rcodeName, startTsdns, startUnbound,
  tcpQuery, udpQuery, type FakeUpstream, type Tsdns, type Unbound } from '../helpers/index.ts'

const ADDRS = ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14']
const TOOLS = ['dig', 'kdig'] as const
const PROTOS = ['udp', 'tcp'] as const
const FORWARDED = TOOLS.flatMap((tool) => PROTOS.map((proto) => `${tool}-${proto}.example.org`))

let unbound: Unbound
let chasing: FakeUpstream
let tsdns: Tsdns
let port: number

before(async () => {
  unbound = await startUnbound({
    zones: ['example.org'],
    records: [
      ...ADDRS.map((ip) => `www.example.org. 300 IN A ${ip}`),
      'mail.example.org. 300 IN MX 10 www.example.org.',
      'text.example.org. 300 IN TXT "hello"',
      ...FORWARDED.map((name, i) => `${name}. 300 IN A 127.0.0.${21 + i}`),
    ],
  })
  // an upstream that follows the CNAME itself, writing the chain in either order
  chasing = await fakeUpstream((q) => {
    const chain = ADDRS.map((ip) => `www.example.net. 60 IN A ${ip}`)
    const cname = `${q.name} 60 IN CNAME www.example.net.`
    return answer(q, q.name.startsWith('last.') ? [...chain, cname] : [cname, ...chain])
  })
  port = await freePort('both')
  tsdns = await startTsdns(`
example.org:${port} {
    bind 127.0.0.1 ::1
    errors
    log plain.example.org
    log . "Q {remote} {proto} {type} {name} {rcode} {/log/plugin} {/log/class} {>rflags}"
    any
    loadbalance
    acl {
        block type TXT net 127.0.0.0/8
        filter type MX net ::1
        drop type SRV
    }
    forward . 127.0.0.1:${unbound.port}
}
example.net:${port} {
    bind 127.0.0.1
    loadbalance
    forward . ${chasing.addr}
}
nonext.test:${port} {
    bind 127.0.0.1
    errors
    log
    acl {
        allow
    }
}
`)
})

after(async () => {
  await tsdns?.stop()
  await unbound?.stop()
  await chasing?.close()
})

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The first stdout line matching `re` (query lines are written a little after the reply). */
function logLine(re: RegExp): Promise<string> {
  return tsdns.waitForLine(re, 3000)
}

test('the default line: CoreDNS common log format, every field checked', async () => {
  const id = 31337
  const query = buildQuery('Plain.Example.ORG', 'A', { id, edns: { udpSize: 1232 } })
  const reply = await udpQuery('127.0.0.1', port, query)
  assert.ok(reply, 'an answer')
  assert.equal(rcodeName(reply), 'NXDOMAIN')
  const line = await logLine(new RegExp(` - ${id} "`))
  const want = new RegExp(
    `^\\[INFO\\] 127\\.0\\.0\\.1:\\d+ - ${id} "A IN plain\\.example\\.org\\. udp ${query.length} false 1232" ` +
      `NXDOMAIN qr,aa,rd,ra ${escape(String(reply.length))} \\d+\\.\\d+s$`,
  )
  assert.match(line, want)
})

test('TCP over IPv6: bracketed address, tcp, 65535 buffer', async () => {
  const id = 4711
  const [reply] = await tcpQuery('::1', port, [buildQuery('plain.example.org', 'AAAA', { id })])
  assert.ok(reply)
  const line = await logLine(new RegExp(` - ${id} "`))
  assert.match(
    line,
    /^\[INFO\] \[::1\]:\d+ - 4711 "AAAA IN plain\.example\.org\. tcp 35 false 65535" NXDOMAIN qr,aa,rd,ra \d+ \d+\.\d+s$/,
  )
})

for (const tool of TOOLS) {
  for (const proto of PROTOS) {
    test(`${tool} over ${proto}: {/log/plugin} names the plugin that answered`, async () => {
      const name = `${tool}-${proto}.example.org`
      const opts = proto === 'tcp' ? ['+tcp'] : []
      const r = await dig({ tool, port, name, opts })
      assert.equal(r.status, 'NOERROR', r.raw)
      assert.equal(r.answer[0]?.data, `127.0.0.${21 + FORWARDED.indexOf(name)}`)
      const prefix = `[INFO] Q 127.0.0.1 ${proto} A ${name}. NOERROR`
      assert.equal(
        await logLine(new RegExp(`^${escape(prefix)} `)),
        `${prefix} forward success qr,aa,rd,ra`,
      )
    })
  }
}

test('loadbalance: the four addresses come back in changing order', async () => {
  const orders = new Set<string>()
  for (let i = 0; i < 30 && orders.size < 3; i++) {
    const r = await dig({ port, name: 'www.example.org', opts: i % 2 ? ['+tcp'] : [] })
    assert.equal(r.status, 'NOERROR', r.raw)
    assert.deepEqual(r.answer.map((a) => a.data).sort(), ADDRS)
    orders.add(r.answer.map((a) => a.data).join())
  }
  assert.ok(orders.size >= 3, `orders seen: ${[...orders].join(' | ')}`)
})

test('loadbalance keeps the CNAME first, and moves it first if upstream put it last', async () => {
  for (const name of ['alias.example.net', 'last.example.net']) {
    const orders = new Set<string>()
    for (let i = 0; i < 20 && orders.size < 3; i++) {
      const r = await dig({ tool: 'kdig', port, name, opts: i % 2 ? ['+tcp'] : [] })
      assert.equal(r.status, 'NOERROR', r.raw)
      assert.deepEqual([r.answer[0]?.type, r.answer[0]?.data], ['CNAME', 'www.example.net.'], r.raw)
      assert.deepEqual(
        r.answer
          .slice(1)
          .map((a) => a.data)
          .sort(),
        ADDRS,
      )
      orders.add(r.answer.map((a) => a.data).join())
    }
    assert.ok(orders.size >= 3, `${name}: orders seen: ${[...orders].join(' | ')}`)
  }
})

test('any: ANY is answered with the RFC 8482 HINFO, over UDP and TCP', async () => {
  for (const opts of [[], ['+tcp']]) {
    const r = await dig({ port, name: 'www.example.org', type: 'ANY', opts })
    assert.equal(r.status, 'NOERROR', r.raw)
    assert.deepEqual(
      r.answer.map((a) => [a.type, a.ttl, a.data]),
      [['HINFO', 8482, '"ANY obsoleted" "See RFC 8482"']],
    )
  }
  assert.match(
    await logLine(/^\[INFO\] Q 127\.0\.0\.1 tcp ANY www\.example\.org\. NOERROR any /),
    /success qr,rd$/,
  )
})

test('acl: block (REFUSED, EDE 15), filter (NOERROR, EDE 17), drop (no reply)', async () => {
  const blocked = await dig({ port, name: 'text.example.org', type: 'TXT' })
  assert.equal(blocked.status, 'REFUSED', blocked.raw)
  assert.match(blocked.raw, /EDE: 15 \(Blocked\)/)
  const kblocked = await dig({
    tool: 'kdig',
    port,
    name: 'text.example.org',
    type: 'TXT',
    opts: ['+tcp'],
  })
  assert.equal(kblocked.status, 'REFUSED', kblocked.raw)
  assert.match(kblocked.raw, /EDE: 15 \(Blocked\)/)
  const filtered = await dig({ server: '::1', port, name: 'mail.example.org', type: 'MX' })
  assert.equal(filtered.status, 'NOERROR', filtered.raw)
  assert.equal(filtered.answer.length, 0)
  assert.match(filtered.raw, /EDE: 17 \(Filtered\)/)
  assert.equal(
    (await dig({ port, name: 'mail.example.org', type: 'MX' })).answer[0]?.data,
    '10 www.example.org.',
  )
  const dropped = await dig({ port, name: '_sip._udp.example.org', type: 'SRV', timeSec: 1 })
  assert.equal(dropped.status, 'TIMEOUT', dropped.raw)
  assert.match(
    await logLine(/^\[INFO\] Q 127\.0\.0\.1 udp TXT text\.example\.org\. /),
    /REFUSED acl error qr,rd$/,
  )
  assert.match(
    await logLine(/^\[INFO\] Q 127\.0\.0\.1 udp SRV /),
    /_sip\._udp\.example\.org\. - - error -$/,
  )
})

test('errors: a returned error is logged once, answered and logged as SERVFAIL', async () => {
  const r = await dig({ tool: 'kdig', port, name: 'x.nonext.test' })
  assert.equal(r.status, 'SERVFAIL', r.raw)
  assert.equal(
    await logLine(/plugin\/errors: .* x\.nonext\.test\./),
    '[ERROR] plugin/errors: 2 x.nonext.test. A: plugin/acl: no next plugin found',
  )
  assert.match(
    await logLine(/"A IN x\.nonext\.test\. /),
    /"A IN x\.nonext\.test\. udp 31 false 512" SERVFAIL qr,rd 31 \d+\.\d+s$/,
  )
  assert.equal(tsdns.stdout().filter((l) => l.includes('x.nonext.test. A: ')).length, 1)
})
