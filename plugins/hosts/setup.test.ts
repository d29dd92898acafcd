import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CorefileError } from '../../src/corefile/errors.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { Instance } from '../../src/server/instance.ts'
import { parseHostsDirective } from './setup.ts'

function parse(body: string, keys = 'example.org') {
  const text = `${keys} {\n${body}\n}\n`
  const { blocks, listenKeys } = loadCorefile({ file: 'Corefile', text })
  return parseHostsDirective(
    blocks[0]!.directives,
    listenKeys[0]!.map((k) => k.zone),
  )
}

test('defaults and options', () => {
  const d = parse('hosts')
  assert.deepEqual(
    [
      d.file,
      d.origins,
      d.ttl,
      d.reverse,
      d.reloadMs,
      d.fall.zones,
      d.fallUnsupported,
      d.inline.size,
    ],
    [undefined, ['example.org.'], 3600, true, 5000, [], false, 0],
  )
  const o = parse(`hosts my.hosts Example.COM 10.0.0.0/8 {
  10.0.0.1 a.example.com b.example.com
  fd00::1 a.example.com
  ttl 60
  no_reverse
  reload 1m30s
  fallthrough in-addr.arpa
  fallthrough_unsupported
}`)
  assert.deepEqual(
    [o.file?.text, o.origins, o.ttl, o.reverse, o.reloadMs, o.fall.zones, o.fallUnsupported],
    ['my.hosts', ['example.com.', '10.in-addr.arpa.'], 60, false, 90000, ['in-addr.arpa.'], true],
  )
  // two names with one address each, plus one AAAA; no reverse entries
  assert.equal(o.inline.size, 3)
  assert.equal(parse('hosts {\n reload 0\n}').reloadMs, 0)
})

test('mistakes are located errors', () => {
  const cases: [string, { code: string; line: number; col: number; msg: RegExp }][] = [
    [
      'hosts f bad..zone',
      { code: 'COREFILE_VALUE', line: 2, col: 9, msg: /not a valid domain name/ },
    ],
    ['hosts {\n ttl\n}', { code: 'COREFILE_ARGS', line: 3, col: 2, msg: /after 'ttl'/ }],
    [
      'hosts {\n ttl abc\n}',
      { code: 'COREFILE_VALUE', line: 3, col: 6, msg: /invalid integer 'abc'/ },
    ],
    [
      'hosts {\n ttl 0\n}',
      {
        code: 'COREFILE_VALUE',
        line: 3,
        col: 6,
        msg: /out of range, expecting an integer from 1 to 65535/,
      },
    ],
    ['hosts {\n ttl 65536\n}', { code: 'COREFILE_VALUE', line: 3, col: 6, msg: /from 1 to 65535/ }],
    ['hosts {\n reload\n}', { code: 'COREFILE_ARGS', line: 3, col: 2, msg: /after 'reload'/ }],
    [
      'hosts {\n reload 5\n}',
      { code: 'COREFILE_VALUE', line: 3, col: 9, msg: /invalid duration '5': missing unit/ },
    ],
    [
      'hosts {\n reload -1s\n}',
      {
        code: 'COREFILE_VALUE',
        line: 3,
        col: 9,
        msg: /invalid negative duration for reload '-1s'/,
      },
    ],
    [
      // CoreDNS reads 'yes' as the next line, an inline entry (and drops it: no IP)
      'hosts {\n no_reverse yes\n}',
      { code: 'COREFILE_UNKNOWN', line: 3, col: 13, msg: /unknown property 'yes'/ },
    ],
    [
      'hosts {\n fallthrough\n 10.0.0.1 late.example.org\n}',
      { code: 'COREFILE_UNKNOWN', line: 4, col: 2, msg: /unknown property '10\.0\.0\.1'/ },
    ],
    [
      'hosts {\n no_revers\n}',
      {
        code: 'COREFILE_UNKNOWN',
        line: 3,
        col: 2,
        msg: /unknown property 'no_revers' \(nor an IP address starting a hosts entry\)/,
      },
    ],
    [
      'hosts {\n 10.0.0.1\n}',
      { code: 'COREFILE_ARGS', line: 3, col: 2, msg: /hosts entry '10\.0\.0\.1' has no names/ },
    ],
    [
      'hosts {\n fallthrough_unsupported\n}',
      { code: 'COREFILE_VALUE', line: 3, col: 2, msg: /fallthrough_unsupported needs fallthrough/ },
    ],
  ]
  for (const [body, want] of cases) {
    assert.throws(
      () => parse(body),
      (e: unknown) => {
        if (!(e instanceof CorefileError)) return false
        assert.deepEqual(
          { code: e.code, line: e.line, col: e.col },
          { code: want.code, line: want.line, col: want.col },
          `${body}\n${e.message}`,
        )
        assert.match(e.message, want.msg, body)
        return true
      },
      body,
    )
  }
})

test('hosts may appear once per server block', () => {
  const text = '. {\n hosts\n hosts\n}\n'
  const { blocks } = loadCorefile({ file: 'Corefile', text })
  assert.throws(
    () => Instance.build(blocks, { defaultPort: 1053, dir: '.' }),
    (e: unknown) =>
      e instanceof CorefileError &&
      e.line === 3 &&
      /only be used once per Server Block/.test(e.message),
  )
})
