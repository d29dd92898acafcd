import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import dnsPacket from 'dns-packet'
import { CorefileError } from '../../src/corefile/errors.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { replyMsg } from '../../src/plugin/msg.ts'
import type { Handler, Request } from '../../src/plugin/plugin.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import { DnsServer } from '../../src/server/server.ts'
import { Instance } from '../../src/server/instance.ts'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import { answer, buildQuery, decode, fakeUpstream, rcodeName } from '../../test/helpers/index.ts'
import { bufsizeHandler } from './bufsize.ts'
import { parseBufsize } from './setup.ts'

setLogSink(() => {})

function parse(line: string): number {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${line}\n}\n` })
  return parseBufsize(blocks[0]!.directives[0]!)
}

const valid: Array<[string, number]> = [
  ['bufsize', 1232],
  ['bufsize 512', 512],
  ['bufsize 4096', 4096],
  ['bufsize 1500', 1500],
]
for (const [line, size] of valid) test(`parses: ${line}`, () => assert.equal(parse(line), size))

// fails
const invalid: Array<[string, string, number, number]> = [
  ['bufsize 511', 'COREFILE_VALUE', 2, 9],
  ['bufsize 4097', 'COREFILE_VALUE', 2, 9],
  ['bufsize abc', 'COREFILE_VALUE', 2, 9],
  ['bufsize 1232 2', 'COREFILE_ARGS', 2, 14],
  // CoreDNS starts with `bufsize {\n}` (test/fixtures/oneline), not with an option in it
  ['bufsize {\n    size 1232\n}', 'COREFILE_UNKNOWN', 3, 5],
]
for (const [line, code, l, col] of invalid) {
  test(`fails: ${line.replace('\n', ' ')}`, () => {
    assert.throws(() => parse(line), (err: unknown) => {
      assert.ok(err instanceof CorefileError)
      assert.deepEqual([err.code, err.line, err.col], [code, l, col])
      return true
    })
  })
}

/** Runs `r` through bufsize SIZE and returns what the next plugin got. */
function seenBy(size: number, r: Request): Request {
  let seen: Request | undefined
  const next: Handler = { name: 'test', serveDNS: (_c, _w, q) => ((seen = q), 0) }
  bufsizeHandler(size, next).serveDNS(testContext, new Recorder(), r)
  return seen!
}

/** The UDP size of the OPT record in a message's bytes. */
function udpSizeOf(wire: Uint8Array): number | undefined {
  const opt = dnsPacket.decode(Buffer.from(wire)).additionals?.find((a) => a.type === 'OPT')
  return (opt as { udpPayloadSize?: number } | undefined)?.udpPayloadSize
}

const udpSizeOnWire = (r: Request) => udpSizeOf(r.wire)

test('a larger advertised size is lowered, in the request and in its bytes', () => {
  const r = seenBy(1232, request('a.example.', 'A', { udpSize: 4096 }))
  assert.equal(r.edns?.udpSize, 1232)
  assert.equal(r.size, 1232)
  assert.equal(udpSizeOnWire(r), 1232)
})

test('a smaller size, or no EDNS at all, is left alone (no OPT is added)', () => {
  assert.equal(udpSizeOnWire(seenBy(1232, request('a.example.', 'A', { udpSize: 800 }))), 800)
  const plain = seenBy(1232, request('a.example.', 'A'))
  assert.equal(plain.edns, undefined)
  assert.equal(udpSizeOnWire(plain), undefined)
})

test('the client gets the capped size back and a reply truncated to it', () => {
  const big: Handler = {
    name: 'big',
    serveDNS(_ctx, w, r) {
      const m = replyMsg(r, 0, 0x8000)
      m.answers = Array.from({ length: 10 }, (_, i) => ({
        name: 'big.example', type: 'TXT', ttl: 60, data: String(i).repeat(200),
      }))
      w.writeMsg(m, 'big')
      return 0
    },
  }
  const server = new DnsServer({ host: '', port: 53, allowOtherClasses: false })
  server.addZone('.', bufsizeHandler(1232, big))
  let out: Uint8Array | undefined
  const self = { address: '127.0.0.1', port: 5300, family: 4 as const }
  const q = buildQuery('big.example.', 'TXT', { edns: { udpSize: 4096 } })
  server.handle(q, 'udp', self, self, (b) => (out = b))
  assert.ok(out!.length <= 1232, `${out!.length} bytes`)
  assert.ok(decode(out!).flag_tc)
  assert.equal(udpSizeOf(out!), 1232)
})

test('forward sends the capped size upstream', async () => {
  const up = await fakeUpstream((q) => answer(q, [`${q.name} 60 IN A 192.0.2.1`]))
  const text = `. {\n bufsize 1232\n forward . ${up.addr}\n}\n`
  const { blocks } = loadCorefile({ file: 'Corefile', text })
  const inst = Instance.build(blocks, { defaultPort: 53, dir: '.' })
  await inst.startup()
  after(async () => {
    await inst.shutdown()
    await up.close()
  })
  const q = buildQuery('a.example.', 'A', { edns: { udpSize: 4096 } })
  const { wire } = await inst.servers[0]!.exchange(q)
  assert.equal(rcodeName(wire), 'NOERROR')
  assert.deepEqual(up.queries.map((q) => q.edns?.udpSize), [1232])
})
