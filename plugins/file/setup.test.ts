import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CorefileError } from '../../src/corefile/errors.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { Instance } from '../../src/server/instance.ts'
import { parseFileDirective } from './setup.ts'

function parse(body: string, keys = 'example.org') {
  const text = `${keys} {\n${body}\n}\n`
  const { blocks, listenKeys } = loadCorefile({ file: 'Corefile', text })
  return parseFileDirective(blocks[0]!.directives, listenKeys[0]!.map((k) => k.zone))
}

function build(body: string, dir: string, keys = 'example.org'): void {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `${keys} {\n${body}\n}\n` })
  Instance.build(blocks, { defaultPort: 1053, dir })
}

const dir = mkdtempSync(join(tmpdir(), 'file-setup-'))
writeFileSync(join(dir, 'db.ok'), '@ SOA ns hm 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n')
writeFileSync(join(dir, 'db.bad'), '@ SOA ns hm 1 1 1 1 1\nwww A 192.0.2.300\n')
writeFileSync(join(dir, 'db.nosoa'), 'www A 192.0.2.1\n')

test('defaults and options', () => {
  const d = parse('file db.example.org')
  assert.deepEqual(
    [d.stanzas[0]!.file.text, d.stanzas[0]!.origins, d.stanzas[0]!.reloadMs, d.stanzas[0]!.byMtime, d.fall.zones],
    ['db.example.org', ['example.org.'], 60_000, false, []],
  )
  const o = parse('file db Example.COM 10.0.0.0/8 {\n reload 30s extra\n reload_by_mtime\n fallthrough in-addr.arpa\n upstream 8.8.8.8\n}\nfile db2')
  assert.deepEqual(
    [o.stanzas[0]!.origins, o.stanzas[0]!.reloadMs, o.stanzas[0]!.byMtime, o.fall.zones],
    [['example.com.', '10.in-addr.arpa.'], 30_000, true, ['in-addr.arpa.']],
  )
  // as in CoreDNS, reload set in one stanza holds for the stanzas after it
  assert.deepEqual([o.stanzas[1]!.reloadMs, o.stanzas[1]!.origins], [30_000, ['example.org.']])
  assert.equal(parse('file db {\n reload 0\n}').stanzas[0]!.reloadMs, 0)
})

test('zone files are read when the configuration is built', () => {
  build('file db.ok', dir)
  build('file db.ok example.org example.net', dir)
  // a missing file is tried again later, unless reload is 0
  build('file db.missing', dir)
})

// fails
test('mistakes are located errors', () => {
  const cases: [string, { code: string; file?: string; line: number; col: number; msg: RegExp }][] = [
    ['file', { code: 'COREFILE_ARGS', line: 2, col: 1, msg: /after 'file'/ }],
    ['file db bad..zone', { code: 'COREFILE_VALUE', line: 2, col: 9, msg: /not a valid domain name/ }],
    ['file db {\n reload\n}', { code: 'COREFILE_ARGS', line: 3, col: 2, msg: /reload duration value is expected/ }],
    ['file db {\n reload soon\n}', { code: 'COREFILE_VALUE', line: 3, col: 9, msg: /invalid duration 'soon'/ }],
    ['file db {\n reload -1s\n}', { code: 'COREFILE_VALUE', line: 3, col: 9, msg: /negative duration/ }],
    ['file db {\n reload_by_mtime yes\n}', { code: 'COREFILE_ARGS', line: 3, col: 18, msg: /after 'yes'/ }],
    ['file db {\n foo\n}', { code: 'COREFILE_UNKNOWN', line: 3, col: 2, msg: /unknown property 'foo'/ }],
    ['file db.bad', { code: 'COREFILE_VALUE', file: join(dir, 'db.bad'), line: 2, col: 7, msg: /zone example.org.: A record: bad '192.0.2.300', expecting an IPv4 address/ }],
    ['file db.nosoa', { code: 'COREFILE_VALUE', line: 2, col: 6, msg: /has no SOA record for origin example.org./ }],
    ['file db.missing {\n reload 0\n}', { code: 'COREFILE_VALUE', line: 2, col: 6, msg: /unable to read zone file .*db.missing.*ENOENT/ }],
    ['file . {\n reload 0\n}', { code: 'COREFILE_VALUE', line: 2, col: 6, msg: /unable to read zone file/ }],
  ]
  for (const [body, want] of cases) {
    assert.throws(
      () => build(body, dir),
      (e: unknown) => {
        assert.ok(e instanceof CorefileError, `${body}: ${String(e)}`)
        assert.deepEqual([e.code, e.file, e.line, e.col], [want.code, want.file ?? 'Corefile', want.line, want.col], `${body}: ${e.message}`)
        assert.match(e.message, want.msg, body)
        return true
      },
      body,
    )
  }
})
