// The in-process benches' upstream (chain.ts, cache-entry.ts): a loopback UDP server answering
// every query with one A record (3600 s), in a process of its own, so that its garbage and CPU
// time are not counted as tsdns's.

import { spawn } from 'node:child_process'

const SCRIPT = `const s = require('node:dgram').createSocket('udp4')
const a = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 10, 0, 0, 1])
s.on('message', (q, from) => {
  const r = Buffer.concat([q, a])
  r[2] = 0x81
  r[3] = 0x80
  r.writeUInt16BE(1, 6)
  s.send(r, from.port, from.address)
})
s.bind(0, '127.0.0.1', () => console.log(s.address().port))`

export async function oneRecordUpstream(): Promise<{ port: number; close(): void }> {
  const child = spawn(process.execPath, ['-e', SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())))
  })
  return { port, close: () => child.kill() }
}
