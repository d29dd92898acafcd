// The small plugins end to end (local, minimal, header, cancel, metadata): the real tsdns over
// real UDP and TCP sockets, with a fake upstream behind forward to see what was (not) sent on,
// /metrics scraped and the query log read. Each plugin has its own port in one tsdns process.

import assert from 'node:assert/strict'
import type { Answer } from 'dns-packet'
import { after, before, test } from 'node:test'
import {
  answerData,
  decode,
  drop,
  fakeUpstream,
  freePorts,
  queryPacket,
  rcodeName,
  startTsdns,
  tcpQuery,
  udpQuery,
  nxdomain,
  reply,
  type FakeAction,
  type FakeQuery,
  type FakeUpstream,
  type QueryOptions,
  type Tsdns,
} from '../helpers/index.ts'

let up: FakeUpstream
let tsdns: Tsdns
let localPort: number, minimalPort: number, headerPort: number, cancelPort: number
let metadataPort: number, mport: number

const SOA = 'example.org. 300 IN SOA ns1.example.org. admin.example.org. 1 7200 3600 1209600 300'

/** An authoritative server: www with the zone's NS and glue, NXDOMAIN with the SOA, hang.* never. */
function exampleOrg(q: FakeQuery): FakeAction {
  if (q.name.toLowerCase().startsWith('hang.')) return drop()
  if (q.name.toLowerCase() !== 'www.example.org') return nxdomain(q, SOA)
  return reply(q, {
    aa: true,
    answers: ['www.example.org. 300 IN A 192.0.2.1'],
    authorities: ['example.org. 3600 IN NS ns1.example.org.'],
    additionals: ['ns1.example.org. 3600 IN A 192.0.2.53'],
  })
}

before(async () => {
  up = await fakeUpstream(exampleOrg)
  const ports = (await freePorts(6)) as [number, number, number, number, number, number]
  ;[localPort, minimalPort, headerPort, cancelPort, metadataPort, mport] = ports
  tsdns = await startTsdns(`
.:${localPort} {
  bind 127.0.0.1
  prometheus 127.0.0.1:${mport}
  local
  forward . ${up.addr}
}
.:${minimalPort} {
  bind 127.0.0.1
  minimal
  forward . ${up.addr}
}
.:${headerPort} {
  bind 127.0.0.1
  header {
    query clear rd
    response set aa
    response clear ra
  }
  forward . ${up.addr}
}
.:${cancelPort} {
  bind 127.0.0.1
  cancel 300ms
  # as in a node-local Corefile: forward is sent the cache's copy of the query (AD set)
  cache
  forward . ${up.addr} {
    read_timeout 200ms
    max_connect_attempts 0
  }
}
.:${metadataPort} {
  bind 127.0.0.1
  metadata
  log . "META {name} {/forward/upstream} {/nope/x} {rcode}"
  # forward publishes on the cache's copy of the query: the label must reach log
  cache
  forward . ${up.addr}
}
`)
})

after(async () => {
  await tsdns?.stop()
  await up?.close()
})

async function ask(port: number, proto: 'udp' | 'tcp', name: string, type = 'A', opts: QueryOptions = {}) {
  const q = queryPacket(name, type as never, opts)
  const bytes = proto === 'udp' ? await udpQuery('127.0.0.1', port, q) : await tcpQuery('127.0.0.1', port, q)
  assert.ok(bytes, `no reply to ${name} ${type} over ${proto}`)
  return Object.assign(decode(bytes), { bytes })
}

/** [name, type, ttl, data as text] of a section's records. */
function records(section: readonly Answer[] | undefined): unknown[][] {
  return (section ?? []).map((r) => [r.name, r.type, (r as { ttl?: number }).ttl, answerData({ answers: [r] } as never)[0]])
}

async function scrape(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${mport}/metrics`)).text()
}

for (const proto of ['udp', 'tcp'] as const) {
  test(`local over ${proto}: localhost names answered here, never forwarded`, async () => {
    const sent = up.queries.length
    const a = await ask(localPort, proto, 'localhost')
    assert.deepEqual(records(a.answers), [['localhost', 'A', 604800, '127.0.0.1']])
    assert.equal(a.flag_aa, false)
    const sub = await ask(localPort, proto, 'web.localhost', 'AAAA')
    assert.deepEqual(answerData(sub.bytes), ['::1'])
    const nx = await ask(localPort, proto, '5.0.0.127.in-addr.arpa', 'PTR')
    assert.equal(rcodeName(nx.bytes), 'NXDOMAIN')
    assert.deepEqual(nx.authorities!.map((r) => [r.name, r.type]), [['127.in-addr.arpa', 'SOA']])
    assert.equal(up.queries.length, sent)
    const fwd = await ask(localPort, proto, 'www.example.org')
    assert.deepEqual(answerData(fwd.bytes), ['192.0.2.1'])
    assert.equal(up.queries.length, sent + 1)
  })
}

test('local counts non-apex localhost queries, without a server label', async () => {
  const count = () => Number(/^coredns_local_localhost_requests_total (\d+)$/m.exec(text)?.[1])
  let text = await scrape()
  const before = count()
  await ask(localPort, 'udp', 'localhost.example.org')
  await ask(localPort, 'udp', 'localhost')
  text = await scrape()
  assert.equal(count(), before + 1)
})

for (const proto of ['udp', 'tcp'] as const) {
  test(`minimal over ${proto}: a positive answer loses authority and additional, a denial keeps its SOA`, async () => {
    const full = await ask(localPort, proto, 'www.example.org')
    assert.deepEqual([full.authorities!.length, full.additionals!.length], [1, 1])
    const min = await ask(minimalPort, proto, 'www.example.org')
    assert.equal(min.flag_aa, true)
    assert.deepEqual(records(min.answers), [['www.example.org', 'A', 300, '192.0.2.1']])
    assert.deepEqual([min.authorities, min.additionals], [[], []])
    // the client's EDNS is still mirrored, as CoreDNS's SizeAndDo adds it back
    const edns = await ask(minimalPort, proto, 'www.example.org', 'A', { edns: { udpSize: 1400 } })
    assert.deepEqual(edns.additionals!.map((r) => [r.type, (r as { udpPayloadSize?: number }).udpPayloadSize]), [['OPT', 1400]])
    const nx = await ask(minimalPort, proto, 'nope.example.org')
    assert.equal(rcodeName(nx.bytes), 'NXDOMAIN')
    assert.deepEqual(nx.authorities!.map((r) => [r.name, r.type]), [['example.org', 'SOA']])
  })
}

for (const proto of ['udp', 'tcp'] as const) {
  test(`header over ${proto}: the upstream gets the query rules, the client the response rules`, async () => {
    const sent = up.queries.length
    const m = await ask(headerPort, proto, 'www.example.org', 'A', { rd: true })
    assert.equal(up.queries.length, sent + 1)
    assert.equal(up.queries.at(-1)!.rd, false)
    // the upstream copied RD (cleared) from the query it got and set RA; AA set, RA cleared here
    assert.deepEqual([m.flag_rd, m.flag_aa, m.flag_ra], [false, true, false])
    assert.deepEqual(answerData(m.bytes), ['192.0.2.1'])
  })
}

test('cancel: no upstream try starts past the deadline, the client gets SERVFAIL', async () => {
  const asked = () => up.queries.filter((q) => q.name === 'hang.example.org').length
  const before = asked()
  const m = await ask(cancelPort, 'udp', 'hang.example.org')
  assert.equal(rcodeName(m.bytes), 'SERVFAIL')
  // tries of 200 ms each: the first, then the one started before the 300 ms deadline (a slow
  // machine may fit only one); without cancel, forward would go on for its 5 s (some 25 tries,
  // max_connect_attempts 0 sets no cap) and the client would time out first
  const tries = asked() - before
  assert.ok(tries >= 1 && tries <= 3, `${tries} tries`)
})

test("metadata: log's {/forward/upstream} names the upstream that answered", async () => {
  await ask(metadataPort, 'udp', 'www.example.org')
  await tsdns.waitForLine(new RegExp(`META www\\.example\\.org\\. ${up.addr.replace(/\./g, '\\.')} - NOERROR`), 5000)
})
