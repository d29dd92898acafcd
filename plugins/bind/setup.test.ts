import assert from 'node:assert/strict'
import { test } from 'node:test'
import { errorsOf } from '../../src/corefile/fixtures.test.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { parseBind } from './setup.ts'

const bind = (body: string) => {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parseBind(blocks[0]!.directives.filter((d) => d.name.text === 'bind'))
}

test('addresses of every bind line, without repeats, less the except ones', () => {
  assert.deepEqual(bind('bind 127.0.0.1 ::1\nbind 127.0.0.2 127.0.0.1'), {
    hosts: ['127.0.0.1', '::1', '127.0.0.2'],
  })
  assert.deepEqual(bind('bind 127.0.0.1 127.0.0.2 {\n    except 127.0.0.1\n}'), {
    hosts: ['127.0.0.2'],
  })
  // an except belongs to its own bind line, as in CoreDNS
  assert.deepEqual(bind('bind 127.0.0.1 127.0.0.2 {\n    except 127.0.0.1\n}\nbind 127.0.0.1'), {
    hosts: ['127.0.0.2', '127.0.0.1'],
  })
})

test('an interface name is every address it has', () => {
  const lo = bind('bind lo {\n    except ::1\n}').hosts
  assert.ok(lo.includes('127.0.0.1'), String(lo))
  assert.ok(!lo.includes('::1'), String(lo))
})

test('errors point at the token', () => {
  // prettier-ignore
  const cases: [string, string, number, number, RegExp][] = [
    ['bind', 'COREFILE_ARGS', 2, 1, /at least one address or interface name is expected/],
    ['bind 127.0.0.1 nope0', 'COREFILE_VALUE', 2, 16, /not a valid IP address or interface name: "nope0"/],
    ['bind 127.0.0.1 {\n    except nope0\n}', 'COREFILE_VALUE', 3, 12, /not a valid IP address/],
    ['bind 127.0.0.1 {\n    only 127.0.0.1\n}', 'COREFILE_UNKNOWN', 3, 5, /invalid option "only"/],
    ['bind 127.0.0.1 {\n    except\n}', 'COREFILE_ARGS', 3, 5, /at least one address or interface must be given to except subdirective/],
    ['bind 127.0.0.1 {\n    except 127.0.0.1\n}', 'COREFILE_VALUE', 2, 1, /all addresses are excluded by except/],
  ]
  for (const [body, code, line, col, message] of cases) {
    const [e] = errorsOf(() => bind(body))
    assert.deepEqual([e!.code, e!.line, e!.col], [code, line, col], body)
    assert.match(e!.message, message, body)
  }
})
