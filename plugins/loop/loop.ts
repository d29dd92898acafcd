// loop: detect a forwarding loop at start (CoreDNS plugin/loop). We send ourselves one HINFO
// query for a random name in the block's first zone; if that same query comes back through us
// more than twice, the resolution path loops (e.g. forward to a resolv.conf that points at us)
// and serving would melt the node, so the process stops with a clear message.

import dgram from 'node:dgram'
import { randomInt } from 'node:crypto'
import dnsPacket from 'dns-packet'
import type { Handler, Plugin } from '../../src/plugin/plugin.ts'
import { nextOrFailure } from '../../src/plugin/plugin.ts'
import { logLine } from '../../src/plugin/log.ts'
import { packetName } from '../../src/plugin/msg.ts'
import { Type } from '../../src/plugin/rrtype.ts'

const PROBE_EVERY_MS = 1000
const PROBE_FOR_MS = 30_000

export class LoopDetector {
  readonly zone: string
  readonly qname: string
  seen = 0
  disabled = false
  /** Where the probe goes, named as CoreDNS does: `:53`, `127.0.0.1:53`, `[::1]:53`. */
  address = ''
  onLoop: (msg: string) => void

  constructor(zone: string, onLoop: (msg: string) => void) {
    this.zone = zone
    const label = () => String(randomInt(0, 2 ** 47))
    this.qname = `${label()}.${label()}.${zone === '.' ? '' : zone}`
    this.onLoop = onLoop
  }

  /** Chain link: count our own probe; everything else passes straight through. */
  plugin(): Plugin {
    return (next, chain) => {
      // the first server the block is built for is the one probed (setup.ts)
      if (this.address === '') this.address = chain.server.replace(/^dns:\/\//, '')
      const h: Handler = {
        name: 'loop',
        serveDNS: (ctx, w, r) => {
          if (r.type === Type.HINFO && !this.disabled && r.name === this.qname) {
            if (++this.seen > 2) {
              this.onLoop(
                `Loop (${hostPort(w.remote.address, w.remote.port)} -> ${this.address}) detected for zone "${this.zone}", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${this.qname}"`,
              )
            }
          }
          return nextOrFailure('loop', next, ctx, w, r)
        },
      }
      return h
    }
  }

  /** Probe host:port every second for up to 30 s until one exchange gets any reply. */
  probe(host: string, port: number): () => void {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4')
    sock.on('error', () => {})
    sock.on('message', () => stop())
    const timer = setInterval(() => send(), PROBE_EVERY_MS)
    const deadline = setTimeout(() => stop(), PROBE_FOR_MS)
    timer.unref()
    deadline.unref()
    const query = dnsPacket.encode({
      id: randomInt(0, 65536),
      type: 'query',
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name: packetName(this.qname), type: 'HINFO', class: 'IN' }],
    })
    const send = () => sock.send(query, port, host)
    let stopped = false
    const stop = () => {
      if (stopped) return
      stopped = true
      this.disabled = true // the first answered probe proves there is no loop
      clearInterval(timer)
      clearTimeout(deadline)
      sock.close()
    }
    send()
    return stop
  }
}

/** Go's net.JoinHostPort. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

export function fatalLoop(msg: string): void {
  logLine('FATAL', `plugin/loop: ${msg}`)
  process.exit(1)
}
