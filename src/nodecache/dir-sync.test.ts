import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, test } from 'node:test'
import { hostileFiles, MAX_REFUSAL_GROWTH, rssGrowth } from '../../test/helpers/hostile-files.ts'
import { DirSync, MAX_CONFIG_DIR_BYTES, readConfigDir } from './dir-sync.ts'

const root = mkdtempSync(join(tmpdir(), 'tsdns-dirsync-'))
after(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const freshDir = () => {
  const d = join(root, String(n++))
  mkdirSync(d)
  return d
}

/** A ConfigMap volume as the kubelet lays it out: files linked through an atomically swapped ..data. */
function configMapVolume(dir: string, files: Record<string, string>, version: number): void {
  const data = join(dir, `..v${version}`)
  mkdirSync(data)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(data, name), text)
  symlinkSync(`..v${version}`, join(dir, '..data_tmp'))
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(join('..data', name), join(dir, name))
    } catch {
      // already linked from an earlier version
    }
  }
}

test('reads visible files, skips hidden ones and directories', () => {
  const d = freshDir()
  writeFileSync(join(d, 'stubDomains'), '{}')
  writeFileSync(join(d, '.hidden'), 'x')
  mkdirSync(join(d, 'sub'))
  const c = readConfigDir(d)
  assert.deepEqual([...c.data], [['stubDomains', '{}']])
  assert.match(c.version, /^[0-9a-f]{64}$/)
  assert.equal(readConfigDir(freshDir()).version, '')
})

test('poll reports contents only when they changed', () => {
  const d = freshDir()
  const errors: Error[] = []
  const s = new DirSync(d, 1000, () => {}, (e) => errors.push(e))
  assert.deepEqual(s.poll(), new Map(), 'the first poll reports what is there')
  assert.equal(s.poll(), undefined)
  writeFileSync(join(d, 'a'), '1')
  assert.deepEqual(s.poll(), new Map([['a', '1']]))
  assert.equal(s.poll(), undefined)
  writeFileSync(join(d, 'a'), '2')
  assert.deepEqual(s.poll(), new Map([['a', '2']]))
  assert.deepEqual(errors, [])
})

test('a ConfigMap update (..data swapped) is seen', () => {
  const d = freshDir()
  configMapVolume(d, { upstreamNameservers: '["1.1.1.1"]' }, 1)
  const s = new DirSync(d, 1000, () => {}, () => {})
  assert.deepEqual(s.poll(), new Map([['upstreamNameservers', '["1.1.1.1"]']]))
  configMapVolume(d, { upstreamNameservers: '["2.2.2.2"]' }, 2)
  assert.deepEqual(s.poll(), new Map([['upstreamNameservers', '["2.2.2.2"]']]))
})

test('errors are reported, not thrown: missing directory, a file, non-UTF-8 data', () => {
  const errors: string[] = []
  const onError = (e: Error) => errors.push(e.message)
  new DirSync(join(root, 'missing'), 1000, () => {}, onError).poll()
  const f = join(freshDir(), 'file')
  writeFileSync(f, 'x')
  new DirSync(f, 1000, () => {}, onError).poll()
  const d = freshDir()
  writeFileSync(join(d, 'bad'), Buffer.from([0xff, 0xfe]))
  new DirSync(d, 1000, () => {}, onError).poll()
  assert.equal(errors.length, 3)
  assert.match(errors[0]!, /ENOENT/)
  assert.match(errors[1]!, /is not a directory/)
  assert.match(errors[2]!, /non-utf8 data in .*bad/)
})

test('started, it calls back within a period of a change, and stops', async () => {
  const d = freshDir()
  const seen: string[] = []
  const s = new DirSync(d, 20, (data) => seen.push(data.get('f') ?? ''), () => {})
  s.poll()
  s.start()
  writeFileSync(join(d, 'f'), 'one')
  for (let i = 0; i < 50 && seen.length === 0; i++) await sleep(10)
  assert.deepEqual(seen, ['one'])
  s.stop()
  writeFileSync(join(d, 'f'), 'two')
  await sleep(80)
  assert.deepEqual(seen, ['one'])
})

test('/dev/zero, a FIFO, files over 1 MiB together: one error, the last contents stay', async () => {
  const growth = await rssGrowth(() => {
    for (const h of hostileFiles(root, MAX_CONFIG_DIR_BYTES)) {
      const d = freshDir()
      writeFileSync(join(d, 'a'), '1')
      const errors: string[] = []
      const seen: ReadonlyMap<string, string>[] = []
      const s = new DirSync(d, 1000, () => {}, (e) => errors.push(e.message))
      assert.deepEqual(s.poll(), new Map([['a', '1']]))
      if (h.path === '/dev/zero') symlinkSync(h.path, join(d, 'b'))
      else renameSync(h.path, join(d, 'b'))
      for (let i = 0; i < 3; i++) {
        const data = s.poll()
        if (data !== undefined) seen.push(data)
      }
      assert.deepEqual(seen, [], `${h.what}: nothing new is reported`)
      assert.equal(errors.length, 1, `${h.what}: said once: ${errors.join('; ')}`)
      assert.match(errors[0]!, h.what === 'an oversized file' ? /exceed 1 MiB/ : h.error)
      rmSync(join(d, 'b'))
      assert.equal(s.poll(), undefined, 'back as it was: no change to report')
    }
  })
  assert.ok(growth < MAX_REFUSAL_GROWTH, `memory grew by ${growth} bytes`)
})

test('the 1 MiB is for all the files together', () => {
  const d = freshDir()
  writeFileSync(join(d, 'a'), 'x'.repeat(MAX_CONFIG_DIR_BYTES / 2))
  writeFileSync(join(d, 'b'), 'x'.repeat(MAX_CONFIG_DIR_BYTES / 2 - 2))
  assert.equal(readConfigDir(d).data.size, 2, 'exactly 1 MiB, names included')
  writeFileSync(join(d, 'c'), '')
  assert.throws(() => readConfigDir(d), /c: the files of .* exceed 1 MiB, a ConfigMap's limit/)
})
