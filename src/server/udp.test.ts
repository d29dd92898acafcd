import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import { test } from 'node:test'
import { buildQuery } from '../../test/helpers/index.ts'
import type { Handler } from '../plugin/plugin.ts'
import { DnsServer } from './server.ts'
import { UdpListener } from './udp.ts'

test('an answer finishing after the listener closed is dropped, not a crash', async () => {
  let answered: Promise<void> | undefined
  const slow: Handler = {
    name: 'slow',
    serveDNS(_ctx, w, r) {
      answered = new Promise((resolve) =>
        setTimeout(() => {
          w.write(Uint8Array.from(r.wire.subarray(0, r.questionEnd)), 'slow')
          resolve()
        }, 150),
      )
      return answered.then(() => 0)
    },
  }
  const server = new DnsServer({ host: '127.0.0.1', port: 0, allowOtherClasses: false })
  server.addZone('.', slow)
  const udp = new UdpListener('127.0.0.1', 0, server)
  await udp.listen()
  const client = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => client.send(buildQuery('example.org'), udp.port, '127.0.0.1', () => resolve()))
  await new Promise((resolve) => setTimeout(resolve, 20)) // the query is in the handler
  await udp.close()
  assert.ok(answered, 'the query reached the handler before the close')
  await answered // write() after close: must not throw
  client.close()
})
