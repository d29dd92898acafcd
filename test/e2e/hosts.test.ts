// hosts end to end: the real tsdns answering dig and kdig over UDP and TCP from a hosts file and
// inline entries (A, AAAA, generated PTR, wildcard, NODATA), SERVFAIL or fallthrough to a real
// unbound for unknown names, a file change picked up by `reload`, and the entries on /metrics.

import assert from 'node:assert/strict'
import { utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  dig,
  freePort,
  sleep,
  startTsdns,
  startUnbound,
  type Tsdns,
  type Unbound,
} from '../helpers/index.ts'

let unbound: Unbound
let tsdns: Tsdns
let port: number
let mport: number

const HOSTS = `# node hosts
10.0.0.10   api.cluster.test api-int.cluster.test
fd00::10    api.cluster.test
10.0.0.20   *.apps.cluster.test
`

before(async () => {
  unbound = await startUnbound({
    zones: ['example.org'],
    records: ['www.example.org. 300 IN A 127.0.0.2'],
    tls: false,
  })
  port = await freePort('both')
  mport = await freePort('tcp')
  tsdns = await startTsdns({
    files: { 'cluster.hosts': HOSTS },
    corefile: `
cluster.test:${port} {
  bind 127.0.0.1
  prometheus 127.0.0.1:${mport}
  hosts cluster.hosts {
    10.0.0.30 registry.cluster.test
    reload 100ms
    ttl 30
  }
}
.:${port} {
  bind 127.0.0.1
  hosts cluster.hosts {
    fallthrough
  }
  forward . 127.0.0.1:${unbound.port}
}
`,
  })
})

after(async () => {
  await tsdns?.stop()
  await unbound?.stop()
})

for (const tool of ['dig', 'kdig'] as const) {
  for (const proto of ['udp', 'tcp'] as const) {
    const opts = proto === 'tcp' ? ['+tcp'] : []
    test(`${tool} over ${proto}: A, AAAA, inline, wildcard, PTR, NODATA, SERVFAIL`, async () => {
      const a = await dig({ tool, port, name: 'API.cluster.test', opts })
      assert.equal(a.status, 'NOERROR')
      assert.ok(a.flags.includes('aa'))
      assert.deepEqual(
        a.answer.map((r) => [r.name, r.ttl, r.type, r.data]),
        [['api.cluster.test.', 30, 'A', '10.0.0.10']],
      )
      assert.deepEqual(
        (await dig({ tool, port, name: 'api.cluster.test', type: 'AAAA', opts })).answer.map(
          (r) => r.data,
        ),
        ['fd00::10'],
      )
      assert.deepEqual(
        (await dig({ tool, port, name: 'registry.cluster.test', opts })).answer.map((r) => r.data),
        ['10.0.0.30'],
      )
      assert.deepEqual(
        (await dig({ tool, port, name: 'console.apps.cluster.test', opts })).answer.map(
          (r) => r.data,
        ),
        ['10.0.0.20'],
      )

      const ptr = await dig({ tool, port, name: '10.0.0.10.in-addr.arpa', type: 'PTR', opts })
      assert.deepEqual(ptr.answer.map((r) => r.data).sort(), [
        'api-int.cluster.test.',
        'api.cluster.test.',
      ])

      const nodata = await dig({ tool, port, name: 'api.cluster.test', type: 'MX', opts })
      assert.equal(nodata.status, 'NOERROR')
      assert.ok(nodata.flags.includes('aa'))
      assert.deepEqual([nodata.answer, nodata.authority], [[], []])

      assert.equal(
        (await dig({ tool, port, name: 'unknown.cluster.test', opts })).status,
        'SERVFAIL',
      )
    })
  }
}

test('with fallthrough, names not in hosts go on to forward and unbound', async () => {
  const r = await dig({ port, name: 'www.example.org' })
  assert.deepEqual(
    r.answer.map((x) => x.data),
    ['127.0.0.2'],
  )
  // the same file, in the catch-all block: still answered locally
  assert.deepEqual(
    (await dig({ port, name: 'api-int.cluster.test', opts: ['+tcp'] })).answer.map((x) => x.data),
    ['10.0.0.10'],
  )
})

test('a changed hosts file is picked up by reload', async () => {
  const file = join(tsdns.dir, 'cluster.hosts')
  writeFileSync(file, `${HOSTS}10.0.0.40 new.cluster.test\n`)
  // a later mtime even on filesystems with coarse timestamps
  utimesSync(file, new Date(), new Date(Date.now() + 2000))
  let data: string[] = []
  for (let i = 0; i < 40 && data.length === 0; i++) {
    await sleep(50)
    data = (await dig({ port, name: 'new.cluster.test' })).answer.map((r) => r.data)
  }
  assert.deepEqual(data, ['10.0.0.40'])
})

test('entries and the reload time are on /metrics', async () => {
  const text = await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text()
  const file = join(tsdns.dir, 'cluster.hosts')
  const entries = text
    .split('\n')
    .find((l) => l.startsWith(`coredns_hosts_entries{hostsfile="${file}"}`))
  assert.ok(
    entries,
    text
      .split('\n')
      .filter((l) => l.includes('hosts'))
      .join('\n'),
  )
  assert.ok(Number(entries.split(' ').at(-1)) >= 6, entries)
  assert.match(text, /^coredns_hosts_reload_timestamp_seconds \d+(\.\d+)?(e\+\d+)?$/m)
})
