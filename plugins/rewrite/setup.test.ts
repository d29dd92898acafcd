import assert from 'node:assert/strict'
import { test } from 'node:test'
import { throwsLocated } from '../../test/helpers/located.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { parseRewrite } from './setup.ts'

function parse(lines: string) {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${lines}\n}\n` })
  return parseRewrite(blocks[0]!.directives.filter((d) => d.name.text === 'rewrite'))
}

// After CoreDNS's TestNewRule and the README's examples.
const valid: Array<[string, 'stop' | 'continue']> = [
  ['rewrite name a.com b.com', 'stop'],
  ['rewrite name exact a.com b.com', 'stop'],
  ['rewrite name prefix a.com b.com', 'stop'],
  ['rewrite name suffix a.com b.com', 'stop'],
  ['rewrite name suffix foo3.bar google.com answer name g(o+)gle(.*) f{1}{2}', 'stop'],
  ['rewrite name substring a.com b.com', 'stop'],
  ['rewrite name regex ([a])\\.com new-{1}.com', 'stop'],
  [
    'rewrite name regex (dns)\\.(core)\\.(rocks) {2}.{1}.{3} answer name ' +
    '(core)\\.(dns)\\.(rocks) {2}.{1}.{3}',
    'stop',
  ],
  [
    'rewrite name substring fcore.dns.rocks dns.fcore.rocks answer name ' +
    '(fcore)\\.(dns)\\.(rocks) {2}.{1}.{3}',
    'stop',
  ],
  ['rewrite name regex (.*)\\.x {1}.y answer auto', 'stop'],
  ['rewrite name regex (.*)\\.x {1}.y answer name (.*)\\.y {1}.x value (.*)\\.y {1}.x', 'stop'],
  [
    'rewrite name suffix .schmoogle.com. .google.com. answer auto answer value (.*)\\.g {1}.s',
    'stop',
  ],
  [
    'rewrite stop {\n name regex (.*)-(us-west-1)\\.coredns\\.rocks ' +
    '{1}.service.{2}.consul\n answer name ' +
    '(.*)\\.service\\.(us-west-1)\\.consul {1}-{2}.coredns.rocks\n}',
    'stop',
  ],
  ['rewrite continue {\n ttl regex (.*)\\.coredns\\.rocks 15\n}', 'continue'],
  ['rewrite type any a', 'stop'],
  ['rewrite continue type ANY HINFO', 'continue'],
  ['rewrite class ch in', 'stop'],
  ['rewrite edns0 local set 65518 abcdefg', 'stop'],
  ['rewrite edns0 local set 0xffee 0x61626364', 'stop'],
  ['rewrite edns0 local append 0xffee abcdefg', 'stop'],
  ['rewrite edns0 local replace 0xffee abcdefg', 'stop'],
  ['rewrite edns0 local unset 0xffee', 'stop'],
  ['rewrite edns0 local set 0xffee {client_ip}', 'stop'],
  ['rewrite edns0 local replace 0xffee {server_port}', 'stop'],
  ['rewrite edns0 nsid set', 'stop'],
  ['rewrite edns0 nsid unset', 'stop'],
  ['rewrite edns0 subnet set 24 56', 'stop'],
  ['rewrite edns0 subnet append 0 0', 'stop'],
  ['rewrite edns0 subnet unset', 'stop'],
  ['rewrite continue edns0 subnet replace 32 128', 'continue'],
  ['rewrite ttl example.org 30', 'stop'],
  ['rewrite ttl exact example.org 30-60', 'stop'],
  ['rewrite ttl prefix x 30-', 'stop'],
  ['rewrite ttl regex (.*)\\.example\\.org -60', 'stop'],
  ['rewrite rcode numeric.rcode.coredns.rocks 2 0', 'stop'],
  ['rewrite rcode exact match.string.rcode.coredns.rocks SERVFAIL NOERROR', 'stop'],
  [
    'rewrite continue rcode regex (regex)\\.rcode\\.(coredns)\\.(rocks) FORMERR NOERROR',
    'continue',
  ],
  ['rewrite cname exact orig.example.com. dest.example.com.', 'stop'],
  ['rewrite cname regex (.*)\\.cdn\\.net {1}.other.net', 'stop'],
]

for (const [input, mode] of valid) {
  test(`parses: ${input.replace(/\n/g, ' ')}`, () => {
    const rules = parse(input)
    assert.equal(rules.length, 1)
    assert.equal(rules[0]!.mode, mode)
  })
}

test('each stanza is one rule, in order', () => {
  const rules = parse(
    'rewrite continue name a.com b.com\nrewrite type any a\nrewrite continue class ch in',
  )
  assert.deepEqual(rules.map((r) => r.mode), ['continue', 'stop', 'continue'])
})

// fails: [input, code, line, col, message fragment]
const invalid: Array<[string, string, number, number, string]> = [
  ['rewrite', 'COREFILE_ARGS', 2, 1, 'no rule type specified'],
  ['rewrite foo', 'COREFILE_UNKNOWN', 2, 9, 'invalid rule type "foo"'],
  ['rewrite continue', 'COREFILE_ARGS', 2, 9, 'continue rule must begin with a rule type'],
  ['rewrite name', 'COREFILE_ARGS', 2, 9, 'too few arguments for a name rule'],
  ['rewrite name a.com', 'COREFILE_ARGS', 2, 14, 'too few arguments for a name rule'],
  [
    'rewrite name a.com b.com c.com',
    'COREFILE_VALUE', 2, 14, 'supports only exact, prefix, suffix, substring, and regex',
  ],
  [
    'rewrite unknown-action name a.com b.com',
    'COREFILE_UNKNOWN', 2, 9, 'invalid rule type "unknown-action"',
  ],
  ['rewrite name regex ([a]\\.com new-{1}.com', 'COREFILE_VALUE', 2, 20, 'invalid regex pattern'],
  [
    'rewrite name regex ([a])\\.com new-{2}.com',
    'COREFILE_VALUE', 2, 31, 'uses more subexpressions',
  ],
  [
    'rewrite name regex (adns)\\.(core)\\.(rocks) {2}.{1}.{3} answer name ' +
    '(core)\\.(adns)\\.(rocks) {2}.{1}.{3} too.long way.too.long',
    'COREFILE_VALUE', 2, 104, 'invalid type "too.long"',
  ],
  [
    'rewrite name regex (bdns)\\.(core)\\.(rocks) {2}.{1}.{3} NoAnswer name ' +
    '(core)\\.(bdns)\\.(rocks) {2}.{1}.{3}',
    'COREFILE_ARGS', 2, 56, 'exceeded the number of arguments',
  ],
  [
    'rewrite name regex (cdns)\\.(core)\\.(rocks) {2}.{1}.{3} answer ttl ' +
    '(core)\\.(cdns)\\.(rocks) {2}.{1}.{3}',
    'COREFILE_VALUE', 2, 63, 'invalid type "ttl" for answer rule',
  ],
  ['rewrite name regex (x) {1} answer name (y)', 'COREFILE_ARGS', 2, 40, '2 arguments required'],
  ['rewrite name regex (x) {1} answer', 'COREFILE_ARGS', 2, 28, 'type missing for answer rule'],
  [
    'rewrite name regex (x) {1} answer auto answer name (y) {1}',
    'COREFILE_VALUE', 2, 28, 'cannot be combined with explicit name',
  ],
  [
    'rewrite answer name a b',
    'COREFILE_VALUE', 2, 9, 'response rewrites must begin with a name rule',
  ],
  ['rewrite type a', 'COREFILE_ARGS', 2, 14, 'type rules must have exactly two arguments'],
  ['rewrite type any a a', 'COREFILE_ARGS', 2, 20, 'type rules must have exactly two arguments'],
  ['rewrite type XY WV', 'COREFILE_VALUE', 2, 14, 'invalid type "XY"'],
  ['rewrite type ANY WV', 'COREFILE_VALUE', 2, 18, 'invalid type "WV"'],
  ['rewrite class IN', 'COREFILE_ARGS', 2, 15, 'class rules must have exactly two arguments'],
  ['rewrite class XY WV', 'COREFILE_VALUE', 2, 15, 'invalid class "XY"'],
  ['rewrite edns0', 'COREFILE_ARGS', 2, 9, 'too few arguments for an EDNS0 rule'],
  ['rewrite edns0 local', 'COREFILE_ARGS', 2, 15, 'too few arguments for an EDNS0 rule'],
  [
    'rewrite edns0 local set',
    'COREFILE_ARGS', 2, 21, 'EDNS0 local rules require exactly three args',
  ],
  [
    'rewrite edns0 local set 0xffee',
    'COREFILE_ARGS', 2, 25, 'EDNS0 local rules require exactly three args',
  ],
  ['rewrite edns0 local foo 0xffee abcdefg', 'COREFILE_VALUE', 2, 21, 'invalid action: "foo"'],
  ['rewrite edns0 local set 0xffee 0xabcdefg', 'COREFILE_VALUE', 2, 32, 'invalid hex data'],
  ['rewrite edns0 local set 0x1ffff abc', 'COREFILE_VALUE', 2, 25, 'invalid EDNS0 option code'],
  [
    'rewrite edns0 local set 0xffee {dummy}',
    'COREFILE_VALUE', 2, 32, 'unsupported variable name "{dummy}"',
  ],
  ['rewrite edns0 nsid set junk', 'COREFILE_ARGS', 2, 24, 'EDNS0 NSID rules do not accept args'],
  ['rewrite edns0 nsid foo', 'COREFILE_VALUE', 2, 20, 'invalid action: "foo"'],
  ['rewrite edns0 subnet set -1 56', 'COREFILE_VALUE', 2, 26, 'invalid IPv4 bit mask length'],
  ['rewrite edns0 subnet set 24 -56', 'COREFILE_VALUE', 2, 29, 'invalid IPv6 bit mask length'],
  ['rewrite edns0 subnet set 33 56', 'COREFILE_VALUE', 2, 26, 'invalid IPv4 bit mask length 33'],
  ['rewrite edns0 subnet set 24 129', 'COREFILE_VALUE', 2, 29, 'invalid IPv6 bit mask length 129'],
  ['rewrite edns0 foo set', 'COREFILE_VALUE', 2, 15, 'invalid rule type "foo"'],
  ['rewrite ttl example.org', 'COREFILE_ARGS', 2, 13, 'too few (1) arguments for a ttl rule'],
  ['rewrite ttl exact a.org 1 2', 'COREFILE_ARGS', 2, 27, 'too many (4) arguments for a ttl rule'],
  ['rewrite ttl a.org -', 'COREFILE_VALUE', 2, 19, "invalid TTL '-'"],
  ['rewrite ttl a.org 60-30', 'COREFILE_VALUE', 2, 19, "invalid TTL '60-30'"],
  ['rewrite ttl a.org 4294967296', 'COREFILE_VALUE', 2, 19, 'invalid TTL'],
  ['rewrite ttl a.org 1-2-3', 'COREFILE_VALUE', 2, 19, 'invalid TTL'],
  ['rewrite ttl wild a.org 30', 'COREFILE_VALUE', 2, 13, 'ttl rule supports only exact'],
  [
    'rewrite rcode too.few.rcode.coredns.rocks 2',
    'COREFILE_ARGS', 2, 43, 'too few (2) arguments for a rcode rule',
  ],
  [
    'rewrite rcode exact too.many.rcode.coredns.rocks 2 1 0',
    'COREFILE_ARGS', 2, 54, 'too many (5) arguments',
  ],
  [
    'rewrite rcode invalid.rcode.coredns.rocks random nothing',
    'COREFILE_VALUE', 2, 43, "invalid matching RCODE 'random'",
  ],
  ['rewrite rcode a.org NOERROR 16', 'COREFILE_VALUE', 2, 29, "invalid replacement RCODE '16'"],
  ['rewrite cname a.org', 'COREFILE_ARGS', 2, 15, 'too few (1) arguments for a cname rule'],
  ['rewrite cname wild a.org b.org', 'COREFILE_VALUE', 2, 15, 'unknown cname rewrite type: wild'],
  ['rewrite name a.com b.com {\n}', 'COREFILE_SYNTAX', 2, 20, "unexpected '{'"],
]

for (const [input, code, line, col, fragment] of invalid) {
  test(`fails: ${input.replace(/\n/g, ' ')}`, () => {
    assert.equal(throwsLocated(() => parse(input), code, line, col, fragment).plugin, 'rewrite')
  })
}
