import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Request, ResponseWriter } from '../plugin.ts'
import { compile, ExpressionError, MAX_DEPTH, MAX_EXPRESSION_LENGTH, type Value } from './parse.ts'
import { requestEnv, type RequestState } from './request-env.ts'

/** A query for example.org. A, id 4660, from 10.1.2.3:5353 to 127.0.0.1:53 over UDP. */
const state: RequestState = {
  r: {
    wire: new Uint8Array(40), id: 0x1234, flags: 0x0100, opcode: 0, name: 'example.org.',
    qname: 'Example.ORG.', type: 1, class: 1, questionEnd: 29, edns: undefined, do: true, cd: false,
    size: 1232, proto: 'udp',
  } as unknown as Request,
  w: {
    proto: 'udp',
    local: { address: '127.0.0.1', port: 53, family: 4 },
    remote: { address: '10.1.2.3', port: 5353, family: 4 },
  } as unknown as ResponseWriter,
}

const run = (src: string): Value => compile(src, requestEnv)(state)

describe('evaluates as expr-lang does', () => {
  const cases: Array<[string, Value]> = [
    ["type() == 'A' && name() == 'example.org.'", true],
    ["(type() == 'AAAA' && name() == 'example.org.') || client_ip() == '10.1.2.3'", true],
    ["type() in ['A', 'AAAA']", true],
    ["type() not in ['A', 'AAAA']", false],
    ["name() matches '^ex.*\\\\.org\\\\.$'", true],
    ["name() matches '^abc'", false],
    ["incidr(client_ip(), '10.0.0.0/8')", true],
    ["incidr(client_ip(), '192.168.0.0/16')", false],
    ["incidr('::1', '::/0')", true],
    ["name() startsWith 'exa' and name() endsWith 'org.' and name() contains 'mple'", true],
    ['not do()', false],
    ['!do() == false', true], // (!do()) == false: unary binds tighter than ==
    ['bufsize() > 512 ? id() : 0', 0x1234],
    ["port() == '5353' && server_ip() == '127.0.0.1' && server_port() == '53'", true],
    ["proto() + '/' + class() + '/' + type()", 'udp/IN/A'],
    ['size() + opcode() * 2', 40],
    ['7 / 2', 3.5],
    ['7 % 4 - -1', 4],
    ['1 + 2 * 3 == 7', true],
    ["metadata('view/name') ?? 'x'", ''],
    ["nil ?? 'fallback'", 'fallback'],
    ["len(name()) == 12 && upper('a') == 'A' && lower('B') == 'b'", true],
    ["trimSuffix(name(), '.') == 'example.org'", true],
    ['"double" == \'double\'', true],
    ['[1, 2] == [1, 2]', true],
    ['name()', 'example.org.'],
  ]
  for (const [src, want] of cases) test(src, () => assert.deepEqual(run(src), want))

  test('a function that fails makes the expression fail at run time', () => {
    assert.throws(() => run("incidr('not-an-ip', '10.0.0.0/8')"), /first argument is not an IP address/)
    assert.throws(() => run("incidr(client_ip(), '10.0.0.0/33')"), /invalid CIDR address/)
  })
})

describe('compile errors, in expr-lang words, at their offset', () => {
  const cases: Array<[string, RegExp, number]> = [
    ['type() == 1', /^invalid operation: == \(mismatched types string and int\)$/, 7],
    ['foo()', /^unknown name foo$/, 0],
    ['name(1)', /^too many arguments to call name$/, 0],
    ['incidr(client_ip())', /^not enough arguments to call incidr$/, 0],
    ["incidr(1, '10.0.0.0/8')", /^cannot use int as argument \(type string\) to call incidr$/, 0],
    ["name() matches '('", /^error parsing regexp: /, 7],
    ['1 +', /^unexpected token EOF$/, 3],
    ["type == 'A'", /^invalid operation: == \(mismatched types func and string\)$/, 5],
    ['do() && 1', /mismatched types bool and int/, 5],
    ["'a' - 1", /mismatched types string and int/, 4],
    ["'unterminated", /^literal not terminated$/, 0],
    ['name() # x', /^unexpected token "#"$/, 7],
    ["name() 'x'", /^unexpected token String\("x"\)$/, 7],
    ['constructor()', /^unknown name constructor$/, 0],
  ]
  for (const [src, re, offset] of cases) {
    test(src, () => {
      assert.throws(() => compile(src, requestEnv), (err: unknown) => {
        assert.ok(err instanceof ExpressionError, String(err))
        assert.match(err.message, re)
        assert.equal(err.offset, offset)
        return true
      })
    })
  }

  test('bounded: length and nesting', () => {
    assert.throws(() => compile(`'${'a'.repeat(MAX_EXPRESSION_LENGTH)}'`, requestEnv), /characters long, the limit is 4096/)
    const deep = '('.repeat(MAX_DEPTH + 1) + 'true' + ')'.repeat(MAX_DEPTH + 1)
    assert.throws(() => compile(deep, requestEnv), /nested deeper than 64/)
    const ok = '('.repeat(20) + 'true' + ')'.repeat(20)
    assert.equal(compile(ok, requestEnv)(state), true)
  })
})
