import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { request } from '../../test/dnstest.ts'
import { sameQuestion } from './question.ts'

function reply(name: string, type = 'A', klass = 'IN'): Uint8Array {
  return dnsPacket.encode({
    id: 7,
    type: 'response',
    questions: [{ name, type: type as never, class: klass as never }],
    answers: [{ name, type: 'A', ttl: 60, data: '192.0.2.1' }],
  })
}

test('the same question in any letter case; another name, type or class is not', () => {
  const q = request('WWW.Example.org')
  assert.equal(sameQuestion(q.wire, q.questionEnd, reply('www.example.ORG')), true)
  for (const [name, type, klass] of [
    ['www.example.net', 'A', 'IN'],
    ['www.example.org', 'AAAA', 'IN'],
    ['ww.example.org', 'A', 'IN'],
    ['www.example.org', 'A', 'CH'],
  ] as const) {
    assert.equal(sameQuestion(q.wire, q.questionEnd, reply(name, type, klass)), false, name)
  }
})

test('case folding is for letters in labels only: type 65 is not type 97, "@" is not "`"', () => {
  const q = request('a@b.example', 'HTTPS')
  const type97 = reply('a@b.example', 'HTTPS')
  type97[q.questionEnd - 3] = 97
  assert.equal(sameQuestion(q.wire, q.questionEnd, type97), false)
  assert.equal(sameQuestion(q.wire, q.questionEnd, reply('a`b.example', 'HTTPS')), false)
  assert.equal(sameQuestion(q.wire, q.questionEnd, reply('A@B.example', 'HTTPS')), true)
})

test('no question, or a reply cut inside it, is not the same question', () => {
  const q = request('www.example.org')
  const bare = dnsPacket.encode({ id: 7, type: 'response', questions: [] })
  assert.equal(sameQuestion(q.wire, q.questionEnd, bare), false)
  const cut = reply('www.example.org').slice(0, q.questionEnd - 1)
  assert.equal(sameQuestion(q.wire, q.questionEnd, cut), false)
})
