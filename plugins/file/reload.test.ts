// End to end over real sockets: a zone served, reloaded when its serial changes, kept when the
// new file is broken, and not re-read when the serial stays.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { answerData, buildQuery, decode, freePort, rcodeName, sleep, startTsdns, tcpQuery, type Tsdns, udpQuery } from '../../test/helpers/index.ts'

const zone = (serial: number, www: string, extra = ''): string =>
  `$ORIGIN example.org.\n$TTL 60\n@ SOA ns hostmaster ${serial} 1h 10m 1w 60\n  NS ns\nns A 192.0.2.53\nwww A ${www}\n${extra}`

let server: Tsdns
let port: number
let path: string

before(async () => {
  port = await freePort()
  server = await startTsdns({
    corefile: `example.org:${port} {\n  file db.example.org {\n    reload 200ms\n  }\n}\n`,
    files: { 'db.example.org': zone(1, '192.0.2.1') },
  })
  path = join(server.dir, 'db.example.org')
})
after(() => server?.stop())

async function www(): Promise<string[]> {
  const reply = await udpQuery('127.0.0.1', port, buildQuery('www.example.org', 'A'))
  assert.ok(reply, 'a reply')
  return answerData(reply)
}

/** Polls until `want` is answered, for at most 10 s (the machine may be loaded). */
async function eventually(want: string): Promise<void> {
  let got: string[] = []
  for (const end = Date.now() + 10_000; Date.now() < end; await sleep(100)) {
    got = await www()
    if (got.includes(want)) return
  }
  assert.fail(`still ${got.join(',')} instead of ${want}`)
}

test('answers over UDP and TCP, authoritatively', async () => {
  assert.deepEqual(await www(), ['192.0.2.1'])
  const [reply] = (await tcpQuery('127.0.0.1', port, [buildQuery('nx.example.org', 'A')])) as Buffer[]
  const m = decode(reply!)
  assert.equal(rcodeName(reply!), 'NXDOMAIN')
  assert.ok(((m.flags ?? 0) & 0x400) !== 0, 'AA')
  assert.equal(m.authorities?.[0]?.type, 'SOA')
})

test('a higher serial is picked up; a broken file keeps the zone; a same serial is not read', async () => {
  writeFileSync(path, zone(2, '192.0.2.2'))
  await eventually('192.0.2.2')
  await server.waitForLine(/Successfully reloaded zone "example.org." in ".*db.example.org" with 2 SOA serial/, 5000)

  writeFileSync(path, zone(3, '192.0.2.3', 'bad A 300.0.0.1\n'))
  await server.waitForLine(/\[ERROR\] plugin\/file: Parsing zone "example.org.": .*db.example.org:7:7: A record: bad '300.0.0.1'/, 10_000)
  assert.deepEqual(await www(), ['192.0.2.2'])

  writeFileSync(path, zone(2, '192.0.2.4'))
  await sleep(1000) // five reload ticks
  assert.deepEqual(await www(), ['192.0.2.2'])

  writeFileSync(path, zone(1, '192.0.2.5')) // a lower serial is a change too, as in CoreDNS
  await eventually('192.0.2.5')
})
