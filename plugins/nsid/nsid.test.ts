import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import type { DecodedPacket, PacketOpt } from 'dns-packet'
import { loadCorefile } from '../../src/corefile/load.ts'
import { replyMsg } from '../../src/plugin/msg.ts'
import type { Handler, Msg } from '../../src/plugin/plugin.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import { Instance } from '../../src/server/instance.ts'
import { parseQuery, WireRequest } from '../../src/wire/request.ts'
import { Recorder, testContext } from '../../test/dnstest.ts'
import { buildQuery, decode } from '../../test/helpers/index.ts'
import { nsidHandler } from './nsid.ts'
import { parseNsid } from './setup.ts'

setLogSink(() => {})

const NSID = { code: 3, data: Buffer.alloc(0) } as unknown as PacketOpt

function optionsOf(m: DecodedPacket): PacketOpt[] | undefined {
  const opt = m.additionals?.find((a) => a.type === 'OPT') as { options: PacketOpt[] } | undefined
  return opt?.options
}

function parse(line: string): string {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${line}\n}\n` })
  return parseNsid(blocks[0]!.directives[0]!)
}

test('parses: the host name by default, else the words joined', () => {
  assert.equal(parse('nsid'), hostname())
  assert.equal(parse('nsid ps0'), 'ps0')
  assert.equal(parse('nsid "tf 2"'), 'tf 2')
  assert.equal(parse('nsid worker 1'), 'worker 1')
})

function query(options: PacketOpt[] | undefined) {
  const wire = dnsPacket.encode({
    id: 7,
    type: 'query',
    questions: [{ name: 'example.org', type: 'A', class: 'IN' }],
    additionals: options === undefined ? [] : [{ type: 'OPT', name: '.', options } as never],
  })
  const r = parseQuery(wire, 'udp')
  assert.ok(r instanceof WireRequest)
  return r
}

/** nsid in front of a plugin that writes `reply` (whoami-like, no OPT unless given). */
function serve(options: PacketOpt[] | undefined, extra: Msg['additionals'] = []) {
  const next: Handler = {
    name: 'test',
    serveDNS(_ctx, w, r) {
      w.writeMsg({ ...replyMsg(r, 0, 0x8000), additionals: extra }, 'test')
      return 0
    },
  }
  const w = new Recorder()
  nsidHandler(Buffer.from('NSID'), next).serveDNS(testContext, w, query(options))
  return optionsOf(w.msg)?.map((o) => [o.code, String(o.data)])
}

test('a query with an NSID option gets the server identifier in the reply OPT', () => {
  assert.deepEqual(serve([NSID]), [[3, 'NSID']])
})

test('queries without the option, or without EDNS, get no NSID', () => {
  assert.equal(serve([]), undefined)
  assert.equal(serve(undefined), undefined)
})

test('the reply OPT keeps its other options, and an NSID from upstream is replaced', () => {
  const upstreamOpt = {
    type: 'OPT', name: '.', udpPayloadSize: 1232,
    options: [
      { code: 3, data: Buffer.from('upstream') },
      { code: 10, data: Buffer.from('cookie16bytes!!!') },
    ],
  } as never
  assert.deepEqual(serve([NSID], [upstreamOpt]), [[10, 'cookie16bytes!!!'], [3, 'NSID']])
})

test("a reply without an OPT gets the request's echoed options with the NSID filled in", () => {
  const cookie = { code: 10, data: Buffer.from('clientck') } as unknown as PacketOpt
  const subnet = { code: 8, data: Buffer.from('0001180ac00002', 'hex') } as unknown as PacketOpt
  assert.deepEqual(serve([cookie, subnet, NSID]), [[10, 'clientck'], [3, 'NSID']])
})

test('through the server: the NSID survives the EDNS mirroring of the reply', async () => {
  const { blocks } = loadCorefile({ file: 'Corefile', text: '. {\n nsid node-1\n whoami\n}\n' })
  const inst = Instance.build(blocks, { defaultPort: 53, dir: '.' })
  const q = buildQuery('example.org.', 'A', { edns: { udpSize: 1232, options: [NSID] } })
  const { wire } = await inst.servers[0]!.exchange(q)
  const m = decode(wire)
  const opt = m.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize: number }
  assert.equal(opt.udpPayloadSize, 1232)
  assert.deepEqual(optionsOf(m)?.map((o) => [o.code, String(o.data)]), [[3, 'node-1']])
})
