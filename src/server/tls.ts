// DNS over TLS (RFC 7858) on an accepted TCP socket: the TLS session runs over it and the
// connection (tcp-conn.ts) reads and writes the decrypted stream with RFC 7766 framing, under the
// same bounds as plain TCP. The raw socket is wrapped at accept, before the handshake, so a
// client that never finishes its handshake is already counted in the connection table and held
// to the first-read deadline (3 s; Go's tls.Conn handshakes inside the first read, which
// CoreDNS's ReadTimeout bounds the same way).

import type net from 'node:net'
import { TLSSocket, type TLSSocketOptions } from 'node:tls'
import type { TlsServing } from '../plugin/plugin.ts'

/** `highWaterMark`: the connection's write-queue bound, as the raw socket has it (tcp.ts). */
export function secureSocket(sock: net.Socket, serving: TlsServing, highWaterMark: number): TLSSocket {
  const tls = new TLSSocket(sock, {
    isServer: true,
    highWaterMark,
    secureContext: serving.context,
    requestCert: serving.requestCert,
    rejectUnauthorized: serving.rejectUnauthorized,
  } as TLSSocketOptions) // highWaterMark is honoured (net.Socket's), though not in the types
  const { admit, keylog } = serving
  if (admit) tls.once('secure', () => void (admit(tls) || tls.destroy()))
  if (keylog) tls.on('keylog', keylog)
  return tls
}
