import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadCorefile } from '../../src/corefile/load.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { parseTemplate } from './setup.ts'
import type { TemplateConfig } from './template.ts'

function parse(body: string, keys = 'example.org'): TemplateConfig {
  const { blocks, listenKeys } = loadCorefile({ file: 'Corefile', text: `${keys} {\n${body}\n}\n` })
  return parseTemplate(
    blocks[0]!.directives,
    listenKeys[0]!.map((k) => k.zone),
  )
}

test('valid stanzas: classes, types, zones, regexes, sections, options', () => {
  const cfg = parse(`template IN A {
  answer "{{ .Name }} 60 IN A 10.0.0.1"
}
template ANY ANY Example.COM 10.0.0.0/24 {
  match ^a ^(?P<x>b)
  rcode NXDOMAIN
  authority "{{ .Zone }} 60 IN SOA ns hm 1 2 3 4 5"
  additional "x. 60 IN A 1.2.3.4" "y. 60 IN A 1.2.3.4"
  ederror 21 "blocked"
  fallthrough in-addr.arpa
  upstream 8.8.8.8
}
template CH TXT`)
  assert.deepEqual(cfg.zones, ['example.org.', 'example.com.', '0.0.10.in-addr.arpa.'])
  const [a, b, c] = cfg.rules
  assert.deepEqual(
    [a!.qclass, a!.qtype, a!.zones, a!.regexes.map((r) => r.pattern()), a!.rcode],
    [1, 1, ['example.org.'], ['.*'], 0],
  )
  assert.deepEqual(
    [b!.qclass, b!.qtype, b!.regexes.map((r) => r.pattern()), b!.rcode],
    [255, 255, ['^a', '^(?P<x>b)'], 3],
  )
  assert.deepEqual(
    b!.rrs.map((r) => r.section),
    ['additional', 'additional', 'authority'],
  )
  assert.ok(b!.ede !== undefined)
  assert.deepEqual(b!.fall.zones, ['in-addr.arpa.'])
  assert.deepEqual([c!.qclass, c!.qtype, c!.rrs.length], [3, 16, 0])
})

test('mistakes are located errors', () => {
  const cases: [string, { code: string; line: number; col: number; msg: RegExp }][] = [
    ['template', { code: 'COREFILE_ARGS', line: 2, col: 1, msg: /wrong argument count/ }],
    ['template IN', { code: 'COREFILE_ARGS', line: 2, col: 10, msg: /after 'IN'/ }],
    [
      'template in A',
      { code: 'COREFILE_VALUE', line: 2, col: 10, msg: /invalid query class 'in'/ },
    ],
    ['template IN a', { code: 'COREFILE_VALUE', line: 2, col: 13, msg: /invalid query type 'a'/ }],
    ['template IN TYPE65', { code: 'COREFILE_VALUE', line: 2, col: 13, msg: /invalid query type/ }],
    [
      'template IN A bad..zone',
      { code: 'COREFILE_VALUE', line: 2, col: 15, msg: /not a valid domain name/ },
    ],
    [
      'template IN A {\n match\n}',
      { code: 'COREFILE_ARGS', line: 3, col: 2, msg: /after 'match'/ },
    ],
    [
      'template IN A {\n match ^ok (unclosed\n}',
      {
        code: 'COREFILE_VALUE',
        line: 3,
        col: 12,
        msg: /could not parse regex: \(unclosed, error parsing regexp: missing closing \)/,
      },
    ],
    [
      'template IN A {\n match (a)\\1\n}',
      {
        code: 'COREFILE_VALUE',
        line: 3,
        col: 8,
        msg: /could not parse regex: \(a\)\\1, error parsing regexp: invalid escape sequence/,
      },
    ],
    [
      'template IN A {\n match (?=a)\n}',
      { code: 'COREFILE_VALUE', line: 3, col: 8, msg: /invalid or unsupported Perl syntax/ },
    ],
    [
      `template IN A {\n match ${'a'.repeat(10001)}\n}`,
      { code: 'COREFILE_VALUE', line: 3, col: 8, msg: /10001 characters long, the limit is 10000/ },
    ],
    [
      'template IN A {\n answer\n}',
      { code: 'COREFILE_ARGS', line: 3, col: 2, msg: /after 'answer'/ },
    ],
    [
      'template IN A {\n answer "{{ .Name }} 60 IN A {{ .Foo }}"\n}',
      {
        code: 'COREFILE_VALUE',
        line: 3,
        col: 33,
        msg: /could not compile answer template: can't evaluate field Foo/,
      },
    ],
    [
      'template IN A {\n authority "{{ .Name }} 60 IN TXT \\"{{ range .Match }}\\""\n}',
      {
        code: 'COREFILE_VALUE',
        line: 3,
        col: 40,
        msg: /could not compile authority template: \{\{range\}\} is not supported by tsdns/,
      },
    ],
    [
      'template IN A {\n match ^(?P<a>x)\n answer "{{ .Group.b }}"\n}',
      {
        code: 'COREFILE_VALUE',
        line: 4,
        col: 19,
        msg: /no match regex of this template has a group named 'b'/,
      },
    ],
    [
      'template IN A {\n answer {{.Name}}x{{.Zon}}\n}',
      { code: 'COREFILE_VALUE', line: 3, col: 21, msg: /can't evaluate field Zon/ },
    ],
    [
      'template IN A {\n answer "{{ .Name }}\n 60 IN A {{ .Bad }}"\n}',
      { code: 'COREFILE_VALUE', line: 3, col: 9, msg: /can't evaluate field Bad/ },
    ],
    [
      'template IN A {\n rcode\n}',
      { code: 'COREFILE_ARGS', line: 3, col: 2, msg: /after 'rcode'/ },
    ],
    [
      'template IN A {\n rcode nxdomain\n}',
      { code: 'COREFILE_VALUE', line: 3, col: 8, msg: /unknown rcode 'nxdomain'/ },
    ],
    [
      'template IN A {\n rcode BADVERS\n}',
      { code: 'COREFILE_VALUE', line: 3, col: 8, msg: /unknown rcode 'BADVERS'/ },
    ],
    [
      // the word after rcode's one argument is the next option, as in CoreDNS
      'template IN A {\n rcode NXDOMAIN SERVFAIL\n}',
      { code: 'COREFILE_UNKNOWN', line: 3, col: 17, msg: /unknown property 'SERVFAIL'/ },
    ],
    [
      'template IN A {\n ederror abc\n}',
      { code: 'COREFILE_VALUE', line: 3, col: 10, msg: /invalid extended DNS error code 'abc'/ },
    ],
    [
      'template IN A {\n ederror 1 2 3\n}',
      { code: 'COREFILE_ARGS', line: 3, col: 14, msg: /after '3'/ },
    ],
    [
      'template IN A {\n fallthrough bad..zone\n}',
      { code: 'COREFILE_VALUE', line: 3, col: 14, msg: /not a valid domain name/ },
    ],
    [
      'template IN A {\n var x 1\n}',
      {
        code: 'COREFILE_UNSUPPORTED',
        line: 3,
        col: 2,
        msg: /'var' \(expr-lang expressions\) is not supported by tsdns/,
      },
    ],
    [
      'template IN A {\n expr true\n}',
      { code: 'COREFILE_UNSUPPORTED', line: 3, col: 2, msg: /'expr'/ },
    ],
    [
      'template IN A {\n answr "x"\n}',
      { code: 'COREFILE_UNKNOWN', line: 3, col: 2, msg: /unknown property 'answr'/ },
    ],
  ]
  for (const [body, want] of cases) {
    assert.throws(
      () => parse(body),
      (e: unknown) => {
        if (!(e instanceof CorefileError)) return false
        const got = { code: e.code, line: e.line, col: e.col }
        assert.deepEqual(
          got,
          { code: want.code, line: want.line, col: want.col },
          `${body}\n${e.message}`,
        )
        assert.match(e.message, want.msg, body)
        assert.equal(e.plugin, 'template')
        return true
      },
      body,
    )
  }
})
