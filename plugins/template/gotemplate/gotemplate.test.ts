import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compileTemplate, TemplateExecError, TemplateSyntaxError } from './index.ts'
import { parseUint } from './funcs.ts'
import { BOOL, INT, STRING, type Type } from './types.ts'

const root: Type = {
  kind: 'struct',
  name: '*test.data',
  fields: {
    Name: STRING,
    Empty: STRING,
    N: INT,
    Yes: BOOL,
    Match: { kind: 'list', name: '[]string', elem: STRING },
    Group: {
      kind: 'map',
      name: 'map[string]string',
      elem: STRING,
      keys: new Set(['0', 'a', 'b', 'hex']),
      unknownKey: "no group '%s'",
    },
    Q: {
      kind: 'struct',
      name: '*test.q',
      fields: { Name: STRING },
      print: (v) => `;${(v as { Name: string }).Name}`,
    },
    Msg: { kind: 'struct', name: '*test.msg', fields: { Id: INT } },
  },
}

const data = {
  Name: 'ip-10-1-2-3.example.',
  Empty: '',
  N: 42n,
  Yes: true,
  Match: ['ip-10-1-2-3.example.', '10', '1'],
  Group: new Map([
    ['0', 'ip-10-1-2-3.example.'],
    ['a', '1'],
    ['b', '2'],
    ['hex', '0a'],
  ]),
  Q: { Name: 'Ip-10-1-2-3.Example.' },
  Msg: { Id: 7n },
}

const run = (src: string): string => compileTemplate(src, 'answer', root).execute(data)

test('output: fields, functions, pipelines, variables, control flow, trimming', () => {
  const cases: [string, string][] = [
    ['{{ .Name }} 60 IN A 10.0.0.1', 'ip-10-1-2-3.example. 60 IN A 10.0.0.1'],
    ['{{.Name}}', 'ip-10-1-2-3.example.'],
    ['{{ index .Match 1 }}.{{ index .Match 2 }}', '10.1'],
    ['{{ .Group.a }}.{{ .Group.b }} {{ index .Group "hex" }}', '1.2 0a'],
    ['{{ index .Group "missing" }}|', '|'],
    ['{{ parseInt .Group.hex 16 8 }}', '10'],
    ['{{ parseInt "0x1f" 0 64 }} {{ parseInt "1_000" 0 0 }}', '31 1000'],
    ['{{ .Group.hex | printf "%s!" }}', '0a!'],
    [
      '{{ printf "%05d|%-4s|%x|%X|%q|%v|%t" 42 "ab" 255 "hi" .Name .Match .Yes }}',
      '00042|ab  |ff|6869|"ip-10-1-2-3.example."|[ip-10-1-2-3.example. 10 1]|true',
    ],
    ['{{ printf "%+d %o %b %c %3s %.2s %%" 5 8 5 65 "x" "abc" }}', '+5 10 101 A   x ab %'],
    ['{{ $n := .Name }}{{ $n }}', 'ip-10-1-2-3.example.'],
    ['{{ $n := "a" }}{{ $n = "b" }}{{ $n }}', 'b'],
    ['{{ $.Name }}', 'ip-10-1-2-3.example.'],
    ['{{ if eq .Group.a "1" }}one{{ else }}other{{ end }}', 'one'],
    ['{{ if eq .Group.a "9" "1" }}any{{ end }}', 'any'],
    ['{{ if .Empty }}x{{ else if .Yes }}y{{ else }}z{{ end }}', 'y'],
    [
      '{{ if and .Yes (ne .N 0) }}t{{ end }}{{ if or (ne .Empty "") (lt .N 43) }}u{{ end }}{{ if not .Empty }}v{{ end }}',
      'tuv',
    ],
    ['{{ and .Name "x" }} {{ or .Empty "dflt" }}', 'x dflt'],
    [
      '{{ with .Group.b }}[{{ . }}]{{ else }}none{{ end }} {{ with .Empty }}x{{ else }}{{ .Name }}{{ end }}',
      '[2] ip-10-1-2-3.example.',
    ],
    ['{{ len .Match }} {{ len .Name }} {{ len .Group }}', '3 20 4'],
    ['{{ slice .Name 0 2 }} {{ index (slice .Match 1) 0 }}', 'ip 10'],
    ['{{ index .Name 0 }}', '105'],
    ['{{ print 1 2 "a" 3 }}|{{ println "a" 1 }}', '1 2a3|a 1\n'],
    [
      '{{ .Match }} {{ .Group }} {{ .Q }} {{ .N }} {{ .Yes }}',
      '[ip-10-1-2-3.example. 10 1] map[0:ip-10-1-2-3.example. a:1 b:2 hex:0a] ;Ip-10-1-2-3.Example. 42 true',
    ],
    ['{{ .Q.Name }} {{ .Msg.Id }}', 'Ip-10-1-2-3.Example. 7'],
    ['{{ (index .Match 1) | printf "%s-%s" "x" }}', 'x-10'],
    ['a  {{- .Group.a -}}  b', 'a1b'],
    ['a {{- /* c */ -}} b{{/* d */}}', 'ab'],
    ['{{-3}} {{ 0x10 }} {{ 010 }} {{ 1e3 }} {{ 1_000 }}', '-3 16 8 1000 1000'],
    ['{{ "a\\tb\\x41\\u00e9" }} {{ `raw\\n` }}', 'a\tbAé raw\\n'],
    ['{{ gt .N 41 }} {{ ge "b" "a" }} {{ le 1 1 }}', 'true true true'],
    ['{{ .Group.b }}\n{{ .Group.a }}', '2\n1'],
    ['{{ printf "%q" "a\\"b\\\\\\n\\x01é\\u200b" }}', '"a\\"b\\\\\\n\\x01é\\u200b"'],
  ]
  for (const [src, want] of cases) assert.equal(run(src), want, src)
})

test('source: parse trees print as Go prints them (metric label)', () => {
  const cases: [string, string][] = [
    ['{{ .Name }} 60 IN A {{ index .Match 1 }}', '{{.Name}} 60 IN A {{index .Match 1}}'],
    ['{{ $x := .Group.a }}{{ $x | printf "%s" }}', '{{$x := .Group.a}}{{$x | printf "%s"}}'],
    [
      '{{ if .Yes }}a{{ else if .Empty }}b{{ end }}',
      '{{if .Yes}}a{{else}}{{if .Empty}}b{{end}}{{end}}',
    ],
    ['{{- with .Q -}} {{ .Name }} {{- end }}', '{{with .Q}}{{.Name}}{{end}}'],
    ['{{ (index .Match 1) }} {{ true }} {{ 0x1F }}', '{{(index .Match 1)}} {{true}} {{0x1F}}'],
  ]
  for (const [src, want] of cases)
    assert.equal(compileTemplate(src, 'answer', root).source, want, src)
})

test('compile errors: unsupported or wrong constructs, at their offset', () => {
  const cases: [string, RegExp, number][] = [
    ['{{ .Foo }}', /can't evaluate field Foo in type \*test\.data/, 3],
    ['{{ .Name.X }}', /can't evaluate field X in type string/, 8],
    ['{{ .Group.zz }}', /no group 'zz'/, 9],
    ['{{ range .Match }}{{ end }}', /\{\{range\}\} is not supported by tsdns/, 3],
    ['{{ define "x" }}{{ end }}', /\{\{define\}\} is not supported/, 3],
    ['{{ template "x" }}', /\{\{template\}\} is not supported/, 3],
    ['{{ foo }}', /function "foo" not defined/, 3],
    ['{{ html .Name }}', /function "html" is not supported by tsdns/, 3],
    ['{{ printf "%d" .Name }}', /printf verb %d does not take a string/, 10],
    ['{{ printf "%s %s" .Name }}', /2 verb\(s\) for 1 argument/, 10],
    ['{{ printf "%z" .Name }}', /printf verb %z is not supported/, 10],
    ['{{ printf .Name }}', /constant format string/, 10],
    ['{{ eq .Name 1 }}', /incompatible types for comparison: string and int/, 3],
    ['{{ lt .Yes .Yes }}', /invalid type for comparison: bool/, 3],
    ['{{ eq .Name }}', /want at least 2 got 1/, 3],
    ['{{ index .N 1 }}', /can't index item of type int/, 3],
    ['{{ index .Match "a" }}', /cannot index \[\]string with string/, 3],
    ['{{ parseInt .N 10 8 }}', /expected string; got int/, 3],
    ['{{ parseInt .Name 10 }}', /want 3 got 2/, 3],
    ['{{ and .Name .N }}', /different types/, 3],
    ['{{ .Msg }}', /printing a \*test\.msg is not supported/, 3],
    ['{{ .Name "x" }}', /can't give argument to non-function \.Name/, 3],
    ['{{ .Name | .Empty }}', /can't give argument to non-function \.Empty/, 11],
    ['{{ .Name | "x" }}', /non executable command in pipeline stage 2/, 11],
    ['{{ $x }}', /undefined variable "\$x"/, 3],
    ['{{ $x = 1 }}', /undefined variable "\$x"/, 3],
    ['{{ $x := 1 }}{{ $x = "s" }}', /cannot assign a string to \$x/, 16],
    ['{{ if .Yes }}{{ $y := 1 }}{{ end }}{{ $y }}', /undefined variable "\$y"/, 38],
    ['{{ .Name', /unclosed action/, 0],
    ['{{ if .Yes }}x', /unexpected EOF, expecting \{\{end\}\}/, 14],
    ['{{ end }}', /unexpected \{\{end\}\}/, 3],
    ['{{ else }}', /unexpected \{\{else\}\}/, 3],
    ['{{ }}', /missing value for command/, 3],
    ['{{ "abc }}', /unterminated quoted string/, 3],
    ['{{ nil }}', /nil is not supported/, 3],
    ["{{ 'a' }}", /character constants are not supported/, 3],
    ['{{ 1.5 }}', /non-integer number 1\.5/, 3],
    ['{{ 12ab }}', /bad number syntax/, 3],
    ['{{ .Name@ }}', /bad character '@'/, 8],
    ['{{ .Name ) }}', /unexpected right paren/, 9],
    ['{{ (.Name }}', /unclosed left paren/, 10],
    ['{{ 3.Name }}', /non-integer number|bad number/, 3],
    ['{{ "x".Name }}', /unexpected \. after term '"x"'/, 3],
    ['{{/* x }}', /unclosed comment/, 0],
    ['{{/* x */ .Name }}', /comment ends before closing delimiter/, 7],
    ['{{ "\\q" }}', /invalid escape/, 4],
  ]
  for (const [src, msg, offset] of cases) {
    assert.throws(
      () => compileTemplate(src, 'answer', root),
      (e: unknown) =>
        e instanceof TemplateSyntaxError && msg.test(e.message) && e.offset === offset,
      `${src}: ${(() => {
        try {
          compileTemplate(src, 'answer', root)
          return 'compiled'
        } catch (e) {
          return `${(e as Error).message} @${(e as TemplateSyntaxError).offset}`
        }
      })()}`,
    )
  }
})

test('execution errors name the template, the place and the call, in Go words', () => {
  const cases: [string, string][] = [
    [
      '{{ index .Match 5 }}',
      'template: answer:1:4: executing "answer" at <index .Match 5>: error calling index: index out of range: 5',
    ],
    [
      'x\n {{ parseInt .Group.b 2 8 }}',
      'template: answer:2:5: executing "answer" at <parseInt .Group.b 2 8>: error calling parseInt: strconv.ParseUint: parsing "2": invalid syntax',
    ],
    [
      '{{ parseInt "300" 10 8 }}',
      'template: answer:1:4: executing "answer" at <parseInt "300" 10 8>: error calling parseInt: strconv.ParseUint: parsing "300": value out of range',
    ],
    [
      '{{ slice .Name 3 1 }}',
      'template: answer:1:4: executing "answer" at <slice .Name 3 1>: error calling slice: invalid slice index: 3 > 1',
    ],
  ]
  for (const [src, msg] of cases) {
    assert.throws(
      () => run(src),
      (e: unknown) => e instanceof TemplateExecError && e.message === msg,
      src,
    )
  }
})

test('a map key no regex of this run defined prints as <no value> and cannot be passed on', () => {
  const t = compileTemplate('{{ .Group.a }}', 'answer', root)
  assert.equal(t.execute({ ...data, Group: new Map() }), '<no value>')
  const f = compileTemplate('{{ printf "%s" .Group.a }}', 'answer', root)
  assert.throws(() => f.execute({ ...data, Group: new Map() }), /invalid value/)
  const n = compileTemplate(
    '{{ if .Group.a }}y{{ else }}n{{ end }}{{ not .Group.a }}',
    'answer',
    root,
  )
  assert.equal(n.execute({ ...data, Group: new Map() }), 'ntrue')
})

test('parseInt is strconv.ParseUint', () => {
  assert.equal(parseUint('ff', 16n, 8n), 255n)
  assert.equal(parseUint('0b101', 0n, 0n), 5n)
  assert.equal(parseUint('0o17', 0n, 64n), 15n)
  assert.equal(parseUint('017', 0n, 64n), 15n)
  assert.equal(parseUint('18446744073709551615', 10n, 64n), 18446744073709551615n)
  assert.throws(() => parseUint('18446744073709551616', 10n, 64n), /value out of range/)
  assert.throws(() => parseUint('256', 10n, 8n), /value out of range/)
  assert.throws(() => parseUint('', 10n, 8n), /invalid syntax/)
  assert.throws(() => parseUint('-1', 10n, 8n), /invalid syntax/)
  assert.throws(() => parseUint('1_0', 10n, 8n), /invalid syntax/)
  assert.throws(() => parseUint('1', 1n, 8n), /invalid base 1/)
  assert.throws(() => parseUint('1', 10n, 65n), /invalid bit size 65/)
  assert.equal(parseUint('z', 36n, 8n), 35n)
})
