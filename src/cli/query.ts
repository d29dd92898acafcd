// `tsdns query -conf FILE NAME [TYPE]`: one query through the configured chains, in process,
// printed with the plugin that answered. Prepare hooks run, startup hooks not: no listener opens.

import { randomInt } from 'node:crypto'
import dnsPacket from 'dns-packet'
import { packetName } from '../plugin/msg.ts'
import { packetType, typeCode } from '../plugin/rrtype.ts'
import { Instance } from '../server/instance.ts'
import { describeError, parseConfig, readConfig } from './config.ts'
import { printReply } from './print.ts'
import { dirname } from 'node:path'

export async function query(conf: string | undefined, port: number, name: string, type = 'A'): Promise<number> {
  const code = typeCode(type)
  if (code === undefined) {
    process.stderr.write(`unknown query type '${type}'\n`)
    return 2
  }
  let inst: Instance
  try {
    const cfg = readConfig(conf, port)
    inst = Instance.build(parseConfig(cfg, port), { defaultPort: port, dir: dirname(cfg.file) })
    await inst.prepare() // forward's hostname upstreams
  } catch (err) {
    process.stderr.write(describeError(err) + '\n')
    return 1
  }
  const fq = name.endsWith('.') ? name : name + '.'
  const server = inst.servers.find((s) => s.port === port && s.route(fq.toLowerCase(), code)) ??
    inst.servers.find((s) => s.route(fq.toLowerCase(), code))
  if (!server) {
    process.stderr.write(`no server block serves ${fq}\n`)
    return 1
  }
  const wire = dnsPacket.encode({
    id: randomInt(0, 65536),
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: packetName(fq), type: packetType(code) as never, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as never],
  })
  try {
    const reply = await server.exchange(wire)
    const m = dnsPacket.decode(Buffer.from(reply.wire.buffer, reply.wire.byteOffset, reply.wire.length))
    process.stdout.write(printReply(m, reply.by))
    return 0
  } catch (err) {
    process.stderr.write(describeError(err) + '\n')
    return 1
  } finally {
    await inst.shutdown()
  }
}
