// The reload plugin against a real process: a Corefile that fails to start is counted once, not
// at every check; one that does not parse is a warning each time and never counted (CoreDNS).

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort, startTsdns } from '../../test/helpers/index.ts'

test('a broken Corefile: one failure counted and logged, however many checks see it', async (t) => {
  const [port, mport] = [await freePort('both'), await freePort('tcp')]
  const good = (zone: string) =>
    `${zone}:${port} {\n    bind 127.0.0.1\n    reload 2s 1s\n    prometheus 127.0.0.1:${mport}\n    whoami\n}\n`
  const tsdns = await startTsdns({ corefile: good('a.test') })
  t.after(() => tsdns.stop())
  const scrape = async () => (await fetch(`http://127.0.0.1:${mport}/metrics`)).text()
  const failed = async () =>
    Number(/^coredns_reload_failed_total (\d+)$/m.exec(await scrape())?.[1])
  /** coredns_reload_version_info's checksum, '' when it is not exported. */
  const versionRe = /^coredns_reload_version_info\{hash="sha512",value="(\w+)"\} 1$/m
  const version = async () => versionRe.exec(await scrape())?.[1] ?? ''
  assert.equal(await failed(), 0)
  assert.equal(await version(), '', 'as in CoreDNS, no version_info before a reload')

  // parses, but cannot start: an unknown directive
  writeFileSync(tsdns.confPath, good('b.test').replace('whoami', 'whoami\n    nosuchplugin'))
  await tsdns.waitForLine(/^\[ERROR\] Restart failed: .*unknown directive 'nosuchplugin'/, 8000)
  await tsdns.waitForLine(/^\[ERROR\] plugin\/reload: Corefile changed but reload failed: starting with listener file descriptors: .*unknown directive 'nosuchplugin'/, 1000)
  await sleep(5500) // at least two more checks (every 1.5 to 2.5 s)
  assert.equal(await failed(), 1)
  const errors = () => tsdns.stdout().filter((l) => l.includes('reload failed'))
  assert.equal(errors().length, 1, errors().join('\n'))

  // does not parse: a warning at each check, not counted
  writeFileSync(tsdns.confPath, good('c.test').replace('whoami', 'whoami {'))
  const warnings = () => tsdns.stdout().filter((l) => l.includes('Corefile parse failed'))
  for (let i = 0; i < 100 && warnings().length < 2; i++) await sleep(100)
  assert.ok(warnings().length >= 2, warnings().join('\n'))
  assert.match(warnings()[0]!, /^\[WARNING\] plugin\/reload: Corefile parse failed: /)
  assert.equal(await failed(), 1)

  // fixed: served, and a later broken file is counted again
  writeFileSync(tsdns.confPath, good('d.test'))
  const running = () => tsdns.stdout().filter((l) => l.includes('Running configuration SHA512')).length
  for (let i = 0; i < 80 && running() < 2; i++) await sleep(100)
  assert.equal(running(), 2, 'the fixed Corefile was loaded')
  const hashes = tsdns.stdout().map((l) => /Running configuration SHA512 = (\w+)/.exec(l)?.[1])
  assert.equal(await version(), hashes.filter((h) => h !== undefined)[1], 'the reloaded one')
  // CoreDNS's (caddy's) lines around a reload, which scripts and tests wait on
  await tsdns.waitForLine(/^\[INFO\] Reloading complete$/, 8000)
  assert.ok(tsdns.stdout().includes('[INFO] Reloading'))
  writeFileSync(tsdns.confPath, good('e.test').replace('whoami', 'whoami\n    nosuchplugin'))
  for (let i = 0; i < 80 && errors().length < 2; i++) await sleep(100)
  assert.equal(errors().length, 2)
  assert.equal(await failed(), 2)
})
