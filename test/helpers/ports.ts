// Free loopback ports for servers started by tests. A DNS server needs the same number on UDP and
// TCP, so by default a port is only returned once both binds succeeded; the sockets are held until
// every requested port is found (so the ports differ) and then released for the server to take.
// Another process can still grab a port between release and use: starters that spawn servers
// retry with a fresh port when the bind fails.

import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { createServer } from 'node:net'
import type { Server } from 'node:net'

export type PortProto = 'udp' | 'tcp' | 'both'

const MAX_ATTEMPTS = 50

type Held = { close(): Promise<void> }

function bindUdp(host: string, port: number): Promise<{ port: number; held: Held }> {
  return new Promise((resolve, reject) => {
    const v6 = isIPv6(host)
    // ipv6Only so that '::' does not also claim the IPv4 port (EINVAL on an udp4 socket)
    const s: Socket = createSocket(v6 ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' })
    s.on('error', (err) => {
      s.close()
      reject(err)
    })
    s.bind({ address: host, port, exclusive: true }, () => {
      resolve({
        port: s.address().port,
        held: { close: () => new Promise<void>((r) => s.close(() => r())) },
      })
    })
  })
}

function bindTcp(host: string, port: number): Promise<{ port: number; held: Held }> {
  return new Promise((resolve, reject) => {
    const s: Server = createServer()
    s.once('error', reject)
    s.listen({ host, port, exclusive: true, ipv6Only: true }, () => {
      const addr = s.address()
      if (addr === null || typeof addr === 'string') {
        s.close()
        reject(new Error('unexpected server address'))
        return
      }
      const close = (): Promise<void> => new Promise<void>((r) => s.close(() => r()))
      resolve({ port: addr.port, held: { close } })
    })
  })
}

async function tryOne(proto: PortProto, host: string): Promise<{ port: number; held: Held[] }> {
  const first = proto === 'tcp' ? await bindTcp(host, 0) : await bindUdp(host, 0)
  if (proto !== 'both') return { port: first.port, held: [first.held] }
  try {
    const second = await bindTcp(host, first.port)
    return { port: first.port, held: [first.held, second.held] }
  } catch (err) {
    await first.held.close()
    throw err
  }
}

/** `count` distinct ports free on `host` for `proto` ('both': UDP and TCP on the same number). */
export async function freePorts(count: number, proto: PortProto = 'both',
  host = '127.0.0.1'): Promise<number[]> {
  const found: { port: number; held: Held[] }[] = []
  try {
    for (let attempt = 0; found.length < count; attempt++) {
      if (attempt >= MAX_ATTEMPTS * count) {
        throw new Error(`no free ${proto} port on ${host} after ${attempt} attempts`)
      }
      try {
        found.push(await tryOne(proto, host))
      } catch (err) {
        // the UDP number was taken on TCP: try another; anything else is a real problem
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
      }
    }
    return found.map((f) => f.port)
  } finally {
    await Promise.all(found.flatMap((f) => f.held.map((h) => h.close())))
  }
}

/** A port free on `host` for `proto`; by default for both UDP and TCP. */
export async function freePort(proto: PortProto = 'both', host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, proto, host)
  if (port === undefined) throw new Error('unreachable: freePorts returned nothing')
  return port
}
