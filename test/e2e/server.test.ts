// The server core over real sockets with real clients: routing, REFUSED, BADVERS, TCP framing and
// pipelining, IPv4 and IPv6, and malformed packets that must never take the server down.

import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, test } from 'node:test'
import dnsPacket from 'dns-packet'
import {
  answer, buildQuery, decode, dig, fakeUpstream, freePort, rcodeOf, slow, startTsdns, tcpQuery, udpQuery, type Tsdns,
} from '../helpers/index.ts'

let port: number
let tsdns: Tsdns

before(async () => {
  port = await freePort('both')
  tsdns = await startTsdns(`
example.org:${port} {
    bind 127.0.0.1 ::1
    whoami
}
# A zone with no plugins: CoreDNS answers REFUSED.
sub.example.org:${port} {
    bind 127.0.0.1 ::1
}
# A zone that refuses every query itself: DS for it still belongs to example.org.
child.example.org:${port} {
    bind 127.0.0.1 ::1
    acl {
        block
    }
}
`)
})

after(async () => {
  await tsdns?.stop()
})

test('startup lines name every zone and address', async () => {
  // The pid file can be written before the parent has read the child's stdout pipe: wait for lines.
  await tsdns.waitForLine(new RegExp(`^example\\.org\\.:${port} on 127\\.0\\.0\\.1$`), 5000, 'stdout')
  await tsdns.waitForLine(new RegExp(`^sub\\.example\\.org\\.:${port} on ::1$`), 5000, 'stdout')
})

for (const tool of ['dig', 'kdig'] as const) {
  for (const proto of ['udp', 'tcp'] as const) {
    test(`${tool} over ${proto}: longest zone wins, unknown zones are REFUSED`, async () => {
      const opts = proto === 'tcp' ? ['+tcp'] : []
      const hit = await dig({ tool, port, name: 'www.Example.org', opts })
      assert.equal(hit.status, 'NOERROR')
      assert.ok(hit.flags.includes('aa'))
      assert.equal(hit.additional.find((r) => r.type === 'A')?.data, '127.0.0.1')
      assert.equal((await dig({ tool, port, name: 'a.sub.example.org', opts })).status, 'REFUSED')
      assert.equal((await dig({ tool, port, name: 'example.net', opts })).status, 'REFUSED')
    })
  }
}

test('IPv6: the client address comes back as AAAA', async () => {
  const r = await dig({ server: '::1', port, name: 'example.org', opts: ['+tcp'] })
  assert.equal(r.status, 'NOERROR')
  assert.equal(r.additional.find((x) => x.type === 'AAAA')?.data, '::1')
  assert.equal(r.additional.find((x) => x.type === 'SRV')?.name, '_tcp.example.org.')
})

test('DS goes to the parent zone; a zone without plugins is REFUSED even for DS', async () => {
  // child.example.org refuses everything (acl block), but DS for it belongs to example.org.
  assert.equal((await dig({ port, name: 'child.example.org' })).status, 'REFUSED')
  const ds = await dig({ port, name: 'child.example.org', type: 'DS' })
  assert.equal(ds.status, 'NOERROR')
  assert.equal(ds.additional.find((r) => r.type === 'A')?.data, '127.0.0.1', 'whoami of example.org answered')
  // CoreDNS's walk meets sub.example.org first and, having no plugins, it answers REFUSED at once
  // (core/dnsserver/server.go checks pluginChain == nil before the DS rule)
  assert.equal((await dig({ port, name: 'sub.example.org', type: 'DS' })).status, 'REFUSED')
})

test('EDNS version 1 is answered BADVERS; the OPT is mirrored otherwise', async () => {
  const bad = await dig({ port, name: 'example.org', opts: ['+edns=1', '+noednsneg'] })
  assert.equal(bad.status, 'BADVERS')
  const ok = await dig({ port, name: 'example.org', opts: ['+bufsize=1400'] })
  assert.equal(ok.ednsUdp, 1400)
  // SizeAndDo keeps the client's DO and upper Z bits (TTL &= 0xff00) in the OPT it sends back
  // (dig 9.18 does not send +ednsflags bits: a raw query, OPT last, flags word at its end - 4)
  const z = buildQuery('example.org', 'A', { id: 41, edns: { udpSize: 1232, do: true } })
  z[z.length - 4]! |= 0x40
  for (const r of [await udpQuery('::1', port, z), await tcpQuery('127.0.0.1', port, z)]) {
    assert.ok(r)
    assert.equal(r.readUInt16BE(r.length - 4), 0xc000, 'DO and Z bit 0x4000 mirrored')
  }
  const none = await dig({ port, name: 'example.org', opts: ['+noedns'] })
  assert.equal(none.ednsUdp, undefined, 'no OPT when the client sent none')
})

test('class CH is REFUSED when neither chaos nor forward is loaded', async () => {
  assert.equal((await dig({ port, name: 'version.bind', type: 'TXT', class: 'CH' })).status, 'REFUSED')
  // ...before the EDNS version is looked at (CoreDNS ServeDNS): REFUSED, not BADVERS, with the
  // client's OPT mirrored as version 0
  for (const tool of ['dig', 'kdig'] as const) {
    const opts = tool === 'dig' ? ['+edns=1', '+noednsneg'] : ['+edns=1']
    const r = await dig({ tool, port, name: 'example.org', class: 'CH', opts })
    assert.equal(r.status, 'REFUSED', tool)
    assert.equal(r.ednsVersion, 0, tool)
  }
})

// The accept filter's replies are miekg's serveDNS ones: the request's header kept but AA and Z,
// QR set, FORMERR as opcode QUERY, NOTIMP with the client's opcode; no question, no OPT.
// (kdig can send neither a header-only query nor another opcode.)
for (const server of ['127.0.0.1', '::1']) {
  for (const proto of ['udp', 'tcp'] as const) {
    test(`dig ${server} ${proto}: accept filter replies keep the request's flags`, async () => {
      const opts = proto === 'tcp' ? ['+tcp'] : []
      // no question at all (qdcount 0)
      const h = await dig({ server, port, name: 'example.org', opts: [...opts, '+header-only', '+adflag', '+cdflag'] })
      assert.equal(h.status, 'FORMERR')
      assert.deepEqual(h.flags.sort(), ['ad', 'cd', 'qr', 'rd'])
      assert.equal(h.question.length, 0)
      assert.equal(h.ednsUdp, undefined, 'no OPT')
      const u = await dig({ server, port, name: 'example.org', opts: [...opts, '+opcode=update', '+noadflag'] })
      assert.equal(u.status, 'NOTIMP')
      assert.equal(u.opcode, 'UPDATE')
      assert.deepEqual(u.flags.sort(), ['qr', 'rd'])
    })
  }
}

test('FORMERR for NOTIFY with two questions goes out as opcode QUERY, AD and CD kept', async () => {
  const two = dnsPacket.encode({
    id: 21,
    type: 'query',
    opcode: 'NOTIFY',
    flags: dnsPacket.AUTHENTIC_DATA | dnsPacket.CHECKING_DISABLED | dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [
      { name: 'example.org', type: 'SOA', class: 'IN' },
      { name: 'example.org', type: 'SOA', class: 'IN' },
    ],
  } as dnsPacket.Packet)
  for (const r of [await udpQuery('::1', port, two), await tcpQuery('127.0.0.1', port, two)]) {
    assert.ok(r)
    const m = decode(r)
    assert.equal((r[2]! >>> 3) & 0xf, 0, 'opcode QUERY')
    assert.equal(rcodeOf(r), 1)
    assert.ok(m.flag_ad && m.flag_cd && !m.flag_aa && !m.flag_rd)
    assert.equal(m.questions?.length, 0)
  }
})

test('a query that fails to unpack after its question: FORMERR echoing the question', async () => {
  // one additional RR announced, none present: miekg's unpack fails after reading the question
  const q = buildQuery('WWW.example.org', 'AAAA', { id: 31 })
  q[11] = 1
  for (const r of [await udpQuery('127.0.0.1', port, q), await tcpQuery('::1', port, q)]) {
    assert.ok(r)
    assert.equal(rcodeOf(r), 1, 'FORMERR')
    const m = decode(r)
    assert.equal(m.id, 31)
    assert.ok(m.flag_rd)
    assert.deepEqual(m.questions, [{ name: 'WWW.example.org', type: 'AAAA', class: 'IN' }])
    assert.equal(m.additionals?.length, 0)
  }
  // a bare header announcing one question: miekg reads no question, CoreDNS answers SERVFAIL
  const bare = q.subarray(0, 12)
  bare[11] = 0
  const sf = await udpQuery('127.0.0.1', port, bare)
  assert.ok(sf)
  assert.equal(rcodeOf(sf), 2, 'SERVFAIL')
  assert.equal(decode(sf).questions?.length, 0)
})

test('pipelined TCP queries on one connection are all answered', async () => {
  const ids = [11, 22, 33, 44]
  const replies = await tcpQuery('127.0.0.1', port, ids.map((id) => buildQuery('example.org', 'A', { id })))
  assert.deepEqual(replies.map((r) => decode(r).id).sort(), ids)
})

test('malformed UDP packets: FORMERR, NOTIMP or silence, and the server keeps answering', async () => {
  const two = dnsPacket.encode({
    id: 9,
    type: 'query',
    questions: [
      { name: 'a.example.org', type: 'A', class: 'IN' },
      { name: 'b.example.org', type: 'A', class: 'IN' },
    ],
  })
  const formerr = await udpQuery('127.0.0.1', port, two, { timeoutMs: 1000 })
  assert.ok(formerr, 'FORMERR is sent for two questions')
  assert.equal(rcodeOf(formerr), 1, 'FORMERR')
  const update = buildQuery('example.org', 'A', { id: 10 })
  update[2] = (update[2]! & 0x87) | (5 << 3) // opcode UPDATE
  assert.equal(rcodeOf((await udpQuery('127.0.0.1', port, update, { timeoutMs: 1000 }))!), 4, 'NOTIMP')
  const response = buildQuery('example.org', 'A', { id: 11 })
  response[2]! |= 0x80 // QR set: a reply is never answered (no reflection)
  assert.equal(await udpQuery('127.0.0.1', port, response, { timeoutMs: 300 }), undefined)
  let seed = 99
  const rnd = () => (seed = (seed * 48271) % 2147483647)
  for (let i = 0; i < 300; i++) {
    const junk = Buffer.alloc(rnd() % 100)
    for (let j = 0; j < junk.length; j++) junk[j] = rnd() & 0xff
    await udpQuery('127.0.0.1', port, junk, { timeoutMs: 5 })
  }
  assert.equal((await dig({ port, name: 'example.org' })).status, 'NOERROR')
})

/** Opens a TCP connection, writes `bytes`, half-closes when `fin`, and collects what comes back until the server closes. */
function tcpExchange(host: string, p: number, bytes: Uint8Array, fin: boolean): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    const s = net.connect({ port: p, host, allowHalfOpen: true }, () => {
      s.write(bytes)
      if (fin) s.end()
    })
    s.on('data', (c) => chunks.push(c))
    s.on('end', () => s.end()) // the server closed: close our side too, as dig does
    s.on('close', () => resolve(Buffer.concat(chunks)))
    s.on('error', reject)
    s.setTimeout(8000, () => {
      s.destroy()
      reject(new Error('connection was not closed'))
    })
  })
}

/** Splits a TCP stream into its length-prefixed messages. */
function frames(stream: Buffer): Buffer[] {
  const out: Buffer[] = []
  for (let o = 0; o + 2 <= stream.length; o += 2 + stream.readUInt16BE(o)) {
    out.push(stream.subarray(o + 2, o + 2 + stream.readUInt16BE(o)))
  }
  return out
}

test('TCP: a zero-length message is skipped and the connection goes on, as miekg reads it', async () => {
  const q = buildQuery('example.org', 'A', { id: 77 })
  const framed = Buffer.concat([Buffer.from([0, 0, 0, q.length]), q])
  for (const host of ['127.0.0.1', '::1']) {
    const replies = frames(await tcpExchange(host, port, framed, true))
    assert.deepEqual(replies.map((r) => decode(r).id), [77], host)
  }
  // A frame announcing more bytes than ever arrive just idles out; the server stays up.
  const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from([0xff, 0xff, 1, 2, 3])))
  s.on('error', () => {})
  assert.equal((await dig({ port, name: 'example.org', opts: ['+tcp'] })).status, 'NOERROR')
  s.destroy()
})

test('TCP: a query that gets no answer (acl drop) does not hold a half-closed connection open',
  async () => {
    const p = await freePort('both')
    const t = await startTsdns(`.:${p} {\n    bind 127.0.0.1\n    acl {\n        drop\n    }\n    whoami\n}\n`)
    const p2 = await freePort('both')
    // with max_queries the connection closes once that many queries are done, answered or not
    const t2 = await startTsdns(`.:${p2} {\n    bind 127.0.0.1\n    timeouts {\n        max_queries 1\n    }\n    acl {\n        drop\n    }\n    whoami\n}\n`)
    try {
      const q = buildQuery('example.org', 'A', { id: 9 })
      const framed = Buffer.concat([Buffer.from([0, q.length]), q])
      // closed when the dropped query was done, not at the 10 s idle deadline (tcpExchange gives
      // up at 8 s): after the client's FIN, and without one once max_queries are done
      assert.equal((await tcpExchange('127.0.0.1', p, framed, true)).length, 0, 'nothing answered')
      assert.equal((await tcpExchange('127.0.0.1', p2, framed, false)).length, 0, 'nothing answered')
    } finally {
      await t.stop()
      await t2.stop()
    }
  })

test('TCP: queries sent before the client half-closes are all answered, then the server closes', async () => {
  // forward answers later than the FIN arrives: CoreDNS answers before it reads the EOF
  const up = await fakeUpstream((q) => slow(150, answer(q, [`${q.name} 60 IN A 192.0.2.1`])))
  const p = await freePort('both')
  const t = await startTsdns(`
.:${p} {
    bind 127.0.0.1 ::1
    forward . 127.0.0.1:${up.port}
}
`)
  try {
    const ids = [1, 2, 3]
    const stream = Buffer.concat(ids.map((id) => {
      const q = buildQuery(`n${id}.example.net`, 'A', { id })
      return Buffer.concat([Buffer.from([q.length >>> 8, q.length & 0xff]), q])
    }))
    for (const host of ['127.0.0.1', '::1']) {
      const replies = frames(await tcpExchange(host, p, stream, true))
      assert.deepEqual(replies.map((r) => decode(r).id).sort(), ids, host)
      assert.ok(replies.every((r) => rcodeOf(r) === 0))
    }
  } finally {
    await t.stop()
    await up.close()
  }
})
