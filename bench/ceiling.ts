// The Node ceiling: the least a Node UDP DNS responder can do (copy the query, flip QR, send).
// tsdns on one core is measured against this in the same run.

import dgram from 'node:dgram'

const port = Number(process.argv[2])
const sock = dgram.createSocket('udp4')
sock.on('message', (msg, rinfo) => {
  msg[2] = msg[2]! | 0x80 // QR: an empty NOERROR answer to the same question
  sock.send(msg, rinfo.port, rinfo.address)
})
sock.bind(port, '127.0.0.1', () => process.stdout.write('ready\n'))
