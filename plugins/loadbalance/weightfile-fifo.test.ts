// The weight file is re-read inside the serving process: a FIFO there (or /dev/zero) once stopped
// all DNS (a synchronous read that never returns). Now it is refused with one warning, the
// weights read before stay, and queries are answered throughout.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import {
  answerData, buildQuery, freePort, startTsdns, tcpQuery, udpQuery,
} from '../../test/helpers/index.ts'

const WEIGHTS = 'www.example.org\n192.0.2.1 255\n192.0.2.2 1\n'

function corefile(port: number, reload: string, weights = 'weights'): string {
  return `.:${port} {
  bind 127.0.0.1
  loadbalance weighted ${weights} {
    reload ${reload}
  }
  hosts {
    192.0.2.1 www.example.org
    192.0.2.2 www.example.org
  }
}
`
}

async function answered(port: number): Promise<void> {
  const q = buildQuery('www.example.org')
  const udp = await udpQuery('127.0.0.1', port, q, { timeoutMs: 2000 })
  assert.ok(udp, 'a UDP answer')
  assert.equal(answerData(udp).length, 2)
  const tcp = (await tcpQuery('127.0.0.1', port, q, { timeoutMs: 2000 })) as Buffer | undefined
  assert.ok(tcp, 'a TCP answer')
  assert.equal(answerData(tcp).length, 2)
}

test('DNS is answered while the weight file is a FIFO; one warning', async (t) => {
  const port = await freePort()
  const srv = await startTsdns({ corefile: corefile(port, '50ms'), files: { weights: WEIGHTS } })
  t.after(() => srv.stop())
  await answered(port)
  const fifo = join(srv.dir, 'weights.fifo')
  execFileSync('mkfifo', [fifo])
  renameSync(fifo, join(srv.dir, 'weights'))
  await srv.waitForLine(/Failed to open weight file: .*weights: not a regular file \(a FIFO\)/,
    5000, 'stdout')
  await sleep(300) // several reload intervals
  for (let i = 0; i < 3; i++) await answered(port)
  const warnings = srv.stdout().filter((l) => l.includes('Failed to open weight file'))
  assert.equal(warnings.length, 1, warnings.join('\n'))
})

test('a FIFO weight file at startup: a warning when it will be re-read, else an error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsdns-lb-fifo-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const fifo = join(dir, 'weights')
  execFileSync('mkfifo', [fifo])
  const port = await freePort()
  const srv = await startTsdns(corefile(port, '1s', fifo))
  t.after(() => srv.stop())
  await answered(port)
  assert.match(srv.stdout().join('\n'), /not a regular file \(a FIFO\)\. Will try again in 1s/)
  await assert.rejects(
    startTsdns(corefile(await freePort(), '0s', fifo)),
    /weight file open error: .*weights: not a regular file \(a FIFO\)/,
  )
})
