// A Corefile without server blocks serves CoreDNS's default `.:PORT { whoami log }`, as CoreDNS
// 1.14.7 does (caddy's loadServerBlocks falls back to the default input): checked by running it
// with -conf on each of these files.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildQuery, decode, freePort, rcodeName, startTsdns, udpQuery } from './helpers/index.ts'

const NO_SERVER_BLOCKS: Readonly<Record<string, string>> = {
  empty: '',
  'only comments and blank lines': '# nothing here\n\n   \n\t# nor here\n',
  'only a snippet': '(common) {\n    log\n}\n',
}

for (const [name, corefile] of Object.entries(NO_SERVER_BLOCKS)) {
  test(`${name}: whoami and log on -dns.port`, async (t) => {
    const port = await freePort('udp')
    const tsdns = await startTsdns({ corefile, args: ['-dns.port', String(port)] })
    t.after(() => tsdns.stop())
    const reply = await udpQuery('127.0.0.1', port, buildQuery('example.org', 'A'))
    assert.ok(reply, 'no answer')
    assert.equal(rcodeName(reply), 'NOERROR')
    // whoami: the client's address in the additional section
    const extra = decode(reply).additionals ?? []
    assert.ok(extra.some((rr) => rr.type === 'A' && rr.data === '127.0.0.1'), JSON.stringify(extra))
    await tsdns.waitForLine(/"A IN example\.org\. udp/, 5000)
  })
}
