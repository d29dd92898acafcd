// startTsdns against tiny stand-in scripts (the real CLI is exercised by the e2e tests): the
// readiness contract (pid file), early exit, start timeout, output lines and stop.

import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeTempDir, removeTempDir } from './tmp.ts'
import { startTsdns, TSDNS_MAIN } from './tsdns.ts'

// A stand-in CLI: prints its args, writes the pid file named by -pidfile, exits 0 on SIGTERM.
const GOOD = `
const args = process.argv.slice(2)
const conf = args[args.indexOf('-conf') + 1]
const pidfile = args[args.indexOf('-pidfile') + 1]
const fs = require('node:fs')
console.log('args ' + JSON.stringify(args))
console.log('corefile ' + JSON.stringify(fs.readFileSync(conf, 'utf8')))
console.log('env ' + process.env.TSDNS_TEST_VAR)
setTimeout(() => fs.writeFileSync(pidfile, process.pid + '\\n'), 50)
process.on('SIGTERM', () => { console.error('[INFO] SIGTERM: Shutting down'); process.exit(0) })
setInterval(() => {}, 1000)
`
const EXITS = `console.error('Corefile:1:1 - Error during parsing: unknown directive')
process.exit(1)`
const HANGS = `setInterval(() => {}, 1000)`

function script(t: { after(fn: () => void): void }, body: string): string {
  const dir = makeTempDir('script')
  t.after(() => removeTempDir(dir))
  const path = join(dir, 'main.cjs')
  writeFileSync(path, body)
  return path
}

describe('startTsdns', () => {
  it('resolves once the pid file exists; passes -conf, -pidfile, args and env', async (t) => {
    const ts = await startTsdns({ corefile: '.:0 {\n  whoami\n}\n', main: script(t, GOOD),
      args: ['-dns.port', '1053'], env: { TSDNS_TEST_VAR: 'hello' },
      files: { 'zones/db.example': 'x' } })
    t.after(() => ts.stop())
    assert.ok(existsSync(join(ts.dir, 'zones/db.example')))
    const args = await ts.waitForLine(/^args /, 1000, 'stdout')
    assert.deepEqual(JSON.parse(args.slice(5)),
      ['-conf', ts.confPath, '-pidfile', ts.pidPath, '-dns.port', '1053'])
    await ts.waitForLine(/^corefile ".:0 \{\\n  whoami\\n\}\\n"$/, 1000)
    await ts.waitForLine(/^env hello$/, 1000)
    assert.equal(await ts.stop(), 0)
    assert.ok(ts.stderr().some((l) => /Shutting down/.test(l)))
    assert.equal(existsSync(ts.dir), false)
  })

  it('rejects with stderr when the process exits before the pid file', async (t) => {
    await assert.rejects(startTsdns({ corefile: 'bad', main: script(t, EXITS) }),
      /exited with 1 before writing its pid file[\s\S]*Corefile:1:1 - Error during parsing/)
  })

  it('rejects and kills the process when no pid file appears in time', async (t) => {
    const t0 = Date.now()
    await assert.rejects(startTsdns({ corefile: '', main: script(t, HANGS),
      startTimeoutMs: 300 }), /wrote no pid file within 300 ms/)
    assert.ok(Date.now() - t0 < 3000)
  })

  it('points at src/cli/main.ts by default', () => {
    assert.match(TSDNS_MAIN, /src[/\\]cli[/\\]main\.ts$/)
  })
})
