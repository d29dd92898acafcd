// The start-up snapshot the image starts from (snapshot.ts), built as `npm run build` builds it
// (bundle.ts, into a directory of its own) and started as the image starts it. What was evaluated
// while the blob was made must not stand in for the process that starts from it: the arguments,
// the environment, stdout, the clock and the version are each checked on a real start.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { buildQuery, freePort, makeTempDir, removeTempDir, sleep, startTsdns, udpQuery } from '../../test/helpers/index.ts'

const root = join(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }

test('a start from the snapshot blob serves with its own arguments, environment, stdout and clock', async (t) => {
  const dir = makeTempDir('tsdns-snapshot')
  t.after(() => removeTempDir(dir))
  // dist/ two levels above the bundle's files, package.json beside it, as in the image
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'))
  execFileSync(process.execPath, [join(root, 'src/cli/bundle.ts'), join(dir, 'dist')], { stdio: 'pipe' })
  const blob = join(dir, 'dist/tsdns.blob')
  assert.ok(existsSync(blob), 'the build makes the blob')

  const version = execFileSync(process.execPath, ['--snapshot-blob', blob, '--', '-version'], { encoding: 'utf8' })
  assert.equal(version.split('\n')[0], `tsdns-${pkg.version}`)

  const [port, mport] = [await freePort('both'), await freePort('tcp')]
  // the metric is in whole seconds: over a second after the build, the build's cannot pass
  await sleep(1100)
  const before = Date.now() / 1000
  const tsdns = await startTsdns({
    // the zone comes from the environment of this start, not of the build
    corefile: `{$SNAPSHOT_ZONE}:${port} {\n  bind 127.0.0.1\n  log\n  prometheus 127.0.0.1:${mport}\n` +
      `  template IN A {\n    answer "{{ .Name }} 60 IN A 10.1.2.3"\n  }\n}\n`,
    main: blob,
    env: { SNAPSHOT_ZONE: 'snapshot.test' },
  })
  t.after(() => tsdns.stop())
  const reply = await udpQuery('127.0.0.1', port, buildQuery('a.snapshot.test'), { timeoutMs: 2000 })
  assert.ok(reply, 'an answer')
  assert.equal(reply[3]! & 0x0f, 0, 'NOERROR')
  assert.deepEqual([...reply.subarray(-4)], [10, 1, 2, 3])
  // the query log goes to this process's stdout
  await tsdns.waitForLine(/"A IN a\.snapshot\.test\. udp /, 3000, 'stdout')
  const metrics = await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text()
  assert.match(metrics, /coredns_dns_requests_total\{server="dns:\/\/127\.0\.0\.1:\d+",zone="snapshot\.test\.",view="",proto="udp",family="1",type="A"\} 1\n/)
  const started = Number(/^process_start_time_seconds (\d+)/m.exec(metrics)?.[1])
  assert.ok(started >= Math.round(before) && started <= Math.round(Date.now() / 1000),
    `process_start_time_seconds ${started}: this process's, not the build's (${before})`)
  const duration = Number(/^coredns_dns_request_duration_seconds_sum\{[^}]*zone="snapshot\.test\.".*\} (\S+)$/m.exec(metrics)?.[1])
  assert.ok(duration > 0 && duration < 1, `the request's duration from this process's clock: ${duration} s`)
  assert.equal(await tsdns.stop(), 0)
})
