// The handler in process: the compat table answered without sockets, then what the table does
// not cover (fallthrough, zones not served, a zone never read, external CNAMEs that fail).

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { Recorder, request } from '../../test/dnstest.ts'
import type { Handler, Msg, Request, RequestContext } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { packetType } from '../../src/plugin/rrtype.ts'
import { Fall } from '../../src/plugin/zones.ts'
import { rcodeReply } from '../../src/wire/reply.ts'
import { FileHandler, type ZoneSource } from './file.ts'
import { readZone } from './reload.ts'
import { QUERIES, summarize } from './testdata/queries.ts'

const data = join(import.meta.dirname, 'testdata')
const recorded = JSON.parse(readFileSync(join(data, 'coredns.json'), 'utf8')) as Record<string, unknown>

function source(origin: string, file: string): ZoneSource {
  const path = join(data, file)
  return { origin, zone: readZone(readFileSync(path, 'utf8'), path, origin) }
}

/** The compat Corefile's two server blocks, each a file plugin alone, routed as the server does. */
class Server {
  readonly blocks: ReadonlyMap<string, Handler>
  readonly ctx: RequestContext
  constructor(blocks: Record<string, Handler>) {
    this.blocks = new Map(Object.entries(blocks))
    this.ctx = {
      server: 'dns://:53',
      zone: '.',
      resolve: async (name, type) => dnsPacket.decode(Buffer.from(await this.ask(request(name, packetType(type))))) as Msg,
    }
  }

  /** The reply's wire, as the server would send it (an rcode not written becomes a reply). */
  async ask(r: Request): Promise<Uint8Array> {
    const zone = [...this.blocks.keys()].find((z) => r.name === z || r.name.endsWith(`.${z}`))
    if (zone === undefined) return rcodeReply(r, Rcode.Refused)
    const w = new Recorder()
    const rcode = await this.blocks.get(zone)!.serveDNS(this.ctx, w, r)
    return w.wire ?? rcodeReply(r, rcode)
  }
}

const server = new Server({
  'example.org.': new FileHandler([source('example.org.', 'db.example.org')], Fall.never, undefined),
  'example.net.': new FileHandler([source('example.net.', 'db.example.net')], Fall.never, undefined),
})

for (const [name, type] of QUERIES) {
  test(`in process: ${name} ${type} as CoreDNS answers it`, async () => {
    const wire = await server.ask(request(name, type))
    const got = summarize(wire)
    const want = recorded[`${name} ${type}`] as Record<string, unknown>
    assert.deepEqual(got, want)
  })
}
