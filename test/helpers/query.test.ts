// The raw client and the port finder, against real sockets.

import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'
import * as dnsPacket from 'dns-packet'
import { answer, fakeUpstream } from './fake-upstream.ts'
import { freePort, freePorts } from './ports.ts'
import { buildQuery, queryPacket, rcodeName, rcodeOf, tcpQuery, udpQuery } from './query.ts'

describe('buildQuery', () => {
  it('sets id, RD, class and no OPT by default', () => {
    const m = dnsPacket.decode(buildQuery('Example.ORG', 'AAAA', { id: 513, class: 'CH' }))
    assert.equal(m.id, 513)
    assert.equal(m.flag_rd, true)
    assert.equal(m.flag_qr, false)
    assert.deepEqual(m.questions, [{ name: 'Example.ORG', type: 'AAAA', class: 'CH' }])
    assert.equal(m.additionals?.length, 0)
  })

  it('writes EDNS udp size, DO and version; rd false clears RD', () => {
    const b = buildQuery('example.org', 'A', { rd: false, cd: true,
      edns: { udpSize: 512, do: true, version: 1 } })
    const m = dnsPacket.decode(b)
    assert.equal(m.flag_rd, false)
    assert.equal(m.flag_cd, true)
    const opt = m.additionals?.[0]
    assert.ok(opt && opt.type === 'OPT')
    assert.equal(opt.udpPayloadSize, 512)
    assert.equal(opt.flag_do, true)
    assert.equal(opt.ednsVersion, 1)
  })

  it('edns: true uses 1232; ids are random without an explicit id', () => {
    const opt = dnsPacket.decode(buildQuery('a.', 'A', { edns: true })).additionals?.[0]
    assert.ok(opt && opt.type === 'OPT')
    assert.equal(opt.udpPayloadSize, 1232)
    const ids = new Set(Array.from({ length: 20 }, () => queryPacket('a.').id))
    assert.ok(ids.size > 1)
  })
})

describe('udpQuery / tcpQuery', () => {
  it('rejects with ECONNREFUSED when nothing listens on the UDP port', async () => {
    const port = await freePort('udp')
    await assert.rejects(udpQuery('127.0.0.1', port, buildQuery('x.'), { timeoutMs: 1000 }),
      { code: 'ECONNREFUSED' })
  })

  it('rejects with ECONNREFUSED when nothing listens on the TCP port', async () => {
    const port = await freePort('tcp')
    await assert.rejects(tcpQuery('127.0.0.1', port, buildQuery('x.')), { code: 'ECONNREFUSED' })
  })

  it('accepts a Packet and reads the extended rcode', async (t) => {
    const up = await fakeUpstream((q) => answer(q, [], { rcode: 'BADVERS' }))
    t.after(() => up.close())
    const reply = await udpQuery(up.host, up.port, queryPacket('v.example', 'A', { edns: true }))
    assert.ok(reply)
    assert.equal(rcodeOf(reply), 16)
    assert.equal(rcodeName(reply), 'BADVERS')
    const tcp = await tcpQuery(up.host, up.port, queryPacket('v.example', 'A', { edns: true }))
    assert.ok(tcp)
    assert.equal(rcodeOf(tcp), 16)
  })
})

describe('freePort', () => {
  it('returns a port that both UDP and TCP can bind', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const port = await freePort('both', host)
      const udp = createSocket(host === '::1' ? 'udp6' : 'udp4')
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject)
        udp.bind(port, host, resolve)
      })
      const tcp = createServer()
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject)
        tcp.listen(port, host, resolve)
      })
      await new Promise<void>((r) => tcp.close(() => r()))
      await new Promise<void>((r) => udp.close(() => r()))
    }
  })

  it('freePorts returns distinct ports', async () => {
    const ports = await freePorts(5)
    assert.equal(new Set(ports).size, 5)
  })
})
