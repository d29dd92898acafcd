import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseKubeDnsConfig } from './kubedns.ts'

const parse = (files: Record<string, string>) => parseKubeDnsConfig(new Map(Object.entries(files)))

test('stubDomains (sorted by domain) and upstreamNameservers', () => {
  const c = parse({
    stubDomains: JSON.stringify({
      'widget.local': ['2.2.2.2:10053', '3.3.3.3'],
      'acme.local': ['1.1.1.1'],
      'v6.local': ['[2001:db8::2]:53', '2001:db8::3'],
    }),
    upstreamNameservers: '["8.8.8.8", "8.8.4.4:53"]',
    federations: 'myfed=example.com',
  })
  assert.deepEqual([...c.stubDomains], [
    ['acme.local', ['1.1.1.1']],
    ['v6.local', ['[2001:db8::2]:53', '2001:db8::3']],
    ['widget.local', ['2.2.2.2:10053', '3.3.3.3']],
  ])
  assert.deepEqual(c.upstreamNameservers, ['8.8.8.8', '8.8.4.4:53'])
})

test('missing or empty files mean nothing configured', () => {
  const cases: Record<string, string>[] = [{}, { stubDomains: '', upstreamNameservers: '\n' }]
  for (const files of cases) {
    const c = parse(files)
    assert.equal(c.stubDomains.size, 0)
    assert.deepEqual(c.upstreamNameservers, [])
  }
})

// fails
const bad: [Record<string, string>, RegExp][] = [
  [{ stubDomains: '{"acme.local": ' }, /invalid JSON in stubDomains/],
  [{ stubDomains: '["1.1.1.1"]' }, /stubDomains: expecting a JSON object/],
  [{ stubDomains: '{"acme.local": "1.1.1.1"}' }, /stubDomains\["acme.local"\]: expecting a JSON list of strings/],
  [{ stubDomains: '{"Acme.local": ["1.1.1.1"]}' }, /invalid domain name: "Acme.local"/],
  [{ stubDomains: '{"acme..local": ["1.1.1.1"]}' }, /invalid domain name: "acme..local"/],
  [{ stubDomains: '{"acme.local": ["ns.acme.local"]}' }, /invalid nameserver: "ns.acme.local"/],
  [{ stubDomains: '{"acme.local": ["1.1.1.1:99999"]}' }, /invalid nameserver: "1.1.1.1:99999"/],
  [{ upstreamNameservers: '["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"]' }, /cannot have more than three entries/],
  [{ upstreamNameservers: '["tls://1.1.1.1"]' }, /invalid nameserver: "tls:\/\/1.1.1.1"/],
  [{ upstreamNameservers: '{"a": 1}' }, /upstreamNameservers: expecting a JSON list of strings/],
]
for (const [files, message] of bad) {
  test(`fails: ${JSON.stringify(files)}`, () => assert.throws(() => parse(files), message))
}
