import assert from 'node:assert/strict'
import {
  mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, test } from 'node:test'
import { parseFlags } from '../cli/flags.ts'
import { setLogSink } from '../plugin/log.ts'
import { hostileFiles, MAX_REFUSAL_GROWTH, rssGrowth } from '../../test/helpers/hostile-files.ts'
import { CorefileSync } from './corefile-sync.ts'
import { nodeCacheFlags, parseNodeCacheFlags } from './flags.ts'
import { errorCounters } from './metrics.ts'

const lines: string[] = []
setLogSink((l) => lines.push(l))
const root = mkdtempSync(join(tmpdir(), 'tsdns-corefile-sync-'))
after(() => rmSync(root, { recursive: true, force: true }))
const errors = errorCounters()

const TEMPLATE = `.:53 {
    bind __PILLAR__LOCAL__DNS__ __PILLAR__DNS__SERVER__
    forward . __PILLAR__UPSTREAM__SERVERS__ {
            force_tcp
    }
}
cluster.local:53 {
    forward . __PILLAR__CLUSTER__DNS__
}
`

let n = 0
function setup(extra: string[] = []) {
  const dir = join(root, String(n++))
  const base = join(dir, 'coredns', 'Corefile.base')
  const kube = join(dir, 'kube-dns')
  mkdirSync(join(dir, 'coredns'), { recursive: true })
  mkdirSync(kube)
  writeFileSync(base, TEMPLATE)
  const argv = ['-localip', '169.254.20.10', '-basecorefile', base, '-kubednscm', kube,
    '-upstreamsvc', 'kube-dns-upstream', ...extra]
  const p = parseNodeCacheFlags(parseFlags(argv, nodeCacheFlags).values, 53, join(dir, 'Corefile'))
  const sync = new CorefileSync(p, errors, { KUBE_DNS_UPSTREAM_SERVICE_HOST: '10.96.0.11' }, 20)
  return { base, kube, out: p.corefile, sync }
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await sleep(10)
  assert.ok(cond(), 'condition not met within 1 s')
}

test('writes the Corefile at start, with the kube-dns ConfigMap already there', () => {
  const { kube, out, sync } = setup()
  writeFileSync(join(kube, 'stubDomains'), '{"acme.local": ["1.1.1.1"]}')
  sync.start()
  sync.stop()
  assert.equal(readFileSync(out, 'utf8'), `.:53 {
    bind 169.254.20.10 
    forward . /etc/resolv.conf {
            force_tcp
    }
}
cluster.local:53 {
    forward . 10.96.0.11
}

acme.local:53 {
    errors
    cache 30
    bind 169.254.20.10
    forward . 1.1.1.1
}
`)
  assert.ok(lines.includes(
    '[INFO] Updated Corefile with 1 custom stubdomains and upstream servers /etc/resolv.conf'))
})

test('rewrites it when the template or the kube-dns ConfigMap changes', async (t) => {
  const { base, kube, out, sync } = setup()
  sync.start()
  t.after(() => sync.stop())
  writeFileSync(base, TEMPLATE.replace('bind', 'whoami\n    bind'))
  await until(() => readFileSync(out, 'utf8').includes('whoami'))
  writeFileSync(join(kube, 'upstreamNameservers'), '["8.8.8.8"]')
  await until(() => readFileSync(out, 'utf8').includes('forward . 8.8.8.8\n}'))
  assert.ok(!readFileSync(out, 'utf8').includes('force_tcp'))
})

test('a bad kube-dns ConfigMap is counted and changes nothing', async (t) => {
  const { kube, out, sync } = setup()
  sync.start()
  t.after(() => sync.stop())
  const before = readFileSync(out, 'utf8')
  const count = errors.configmap.value
  writeFileSync(join(kube, 'upstreamNameservers'), '["not-an-ip"]')
  await until(() => errors.configmap.value === count + 1)
  assert.equal(readFileSync(out, 'utf8'), before)
  assert.ok(lines.includes('[ERROR] Invalid config: invalid nameserver: "not-an-ip"'))
})

test('a missing template is counted; an unchanged one writes nothing', () => {
  const { base, out, sync } = setup()
  sync.start()
  sync.stop()
  assert.equal(sync.update(), false, 'same text: no write')
  rmSync(base)
  const count = errors.configmap.value
  assert.equal(sync.update(), false)
  assert.equal(errors.configmap.value, count + 1)
  assert.match(readFileSync(out, 'utf8'), /169\.254\.20\.10/, 'the last good Corefile stays')
})

test('-reloadwithsignal sends SIGUSR1 to itself after a rewrite, once serving', async (t) => {
  const { base, sync } = setup(['-reloadwithsignal'])
  let signals = 0
  const onUsr1 = () => signals++
  process.on('SIGUSR1', onUsr1)
  t.after(() => process.off('SIGUSR1', onUsr1))
  sync.start()
  sync.stop()
  await sleep(20)
  assert.equal(signals, 0, 'not before serving')
  sync.serving = true
  writeFileSync(base, TEMPLATE + '\n# changed\n')
  assert.equal(sync.update(), true)
  await until(() => signals === 1)
  assert.ok(lines.includes(`[INFO] Sending reload signal to PID ${process.pid}`), lines.join('\n'))
})

test('a template that is /dev/zero, a FIFO or over 1 MiB: counted, the last Corefile stays', async () => {
  const { base, out, sync } = setup()
  sync.start()
  sync.stop()
  const good = readFileSync(out, 'utf8')
  const growth = await rssGrowth(() => {
    for (const h of hostileFiles(root, 1 << 20)) {
      rmSync(base)
      if (h.path === '/dev/zero') symlinkSync(h.path, base)
      else renameSync(h.path, base)
      const count = errors.configmap.value
      lines.length = 0
      assert.equal(sync.update(), false, h.what)
      assert.equal(errors.configmap.value, count + 1, h.what)
      assert.match(lines.join('\n'), h.error)
      assert.equal(readFileSync(out, 'utf8'), good, h.what)
    }
  })
  assert.ok(growth < MAX_REFUSAL_GROWTH, `memory grew by ${growth} bytes`)
})
