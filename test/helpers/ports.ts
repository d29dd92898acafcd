// Free loopback ports for servers started by tests. A DNS server needs the same number on UDP and
// TCP, so by default a port is only returned once both binds succeeded; the sockets are held until
// every requested port is found (so the ports differ) and then released for the server to take.
// Numbers are drawn below the kernel's ephemeral range, so no socket the kernel numbers (a dig, a
// forwarded query) can take one between release and use; another explicit bind still could, so
// starters that spawn servers retry with a fresh port when the bind fails.

import { randomInt } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { readFileSync } from 'node:fs'
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

/**
 * Ports are drawn below the kernel's ephemeral range: a number the kernel hands out (port 0) can
 * be handed out again, between its release here and the server's bind, to any socket of any
 * process (a dig, an upstream query); below the range only another explicit bind can take it.
 */
const RANDOM_RANGE = ((): readonly [number, number] | undefined => {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0])
    return low > 12_000 ? [10_000, low] : undefined
  } catch {
    return undefined
  }
})()

function candidate(): number {
  return RANDOM_RANGE ? randomInt(RANDOM_RANGE[0], RANDOM_RANGE[1]) : 0
}

async function tryOne(proto: PortProto, host: string): Promise<{ port: number; held: Held[] }> {
  const port = candidate()
  const first = proto === 'tcp' ? await bindTcp(host, port) : await bindUdp(host, port)
  if (proto !== 'both') return { port: first.port, held: [first.held] }
  try {
    const second = await bindTcp(host, first.port)
    return { port: first.port, held: [first.held, second.held] }
  } catch (err) {
    await first.held.close()
    throw err
  }
}

/**
 * Every port handed out by this process: the kernel may offer a just-released number again, and a
 * test that asks for its ports one call at a time (DNS, then health, then metrics) would get a
 * port twice and fail with EADDRINUSE at its own server's start.
 */
const handedOut = new Set<number>()

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
        const one = await tryOne(proto, host)
        if (handedOut.has(one.port)) await Promise.all(one.held.map((h) => h.close()))
        else found.push(one)
      } catch (err) {
        // the number was taken (on UDP or TCP): try another; anything else is a real problem
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
      }
    }
    for (const f of found) handedOut.add(f.port)
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
