// The Node ceiling: the least a Node UDP DNS responder can do (flip QR on the query and send it
// back), with the same socket options as tsdns's listener, its address lookup included (without
// it each send waits a tick: ~1 µs more a reply). tsdns on one core is measured against this in
// the same run.

import dgram from 'node:dgram'
import { ipLookup } from '../src/plugin/ip-lookup.ts'

const port = Number(process.argv[2])
const sock = dgram.createSocket({ type: 'udp4', reusePort: true, lookup: ipLookup })
sock.on('message', (msg, rinfo) => {
  msg[2] = msg[2]! | 0x80 // QR: an empty NOERROR answer to the same question
  sock.send(msg, rinfo.port, rinfo.address)
})
sock.bind(port, '127.0.0.1', () => {
  try {
    sock.setRecvBufferSize(4 << 20)
  } catch {
    // capped by net.core.rmem_max, as for tsdns
  }
})
