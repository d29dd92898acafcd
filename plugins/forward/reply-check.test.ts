import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { request } from '../../test/dnstest.ts'
import { checkReply } from './reply-check.ts'

const query = request('www.Example.org', 'A', { udpSize: 1232 })

interface ReplyOpts {
  readonly id?: number
  readonly qr?: boolean
  readonly klass?: string
}

function reply(name: string, type = 'A', opts: ReplyOpts = {}): Uint8Array {
  return dnsPacket.encode({
    id: opts.id ?? 7,
    type: opts.qr === false ? 'query' : 'response',
    flags: opts.qr === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as never, class: (opts.klass ?? 'IN') as never }],
    answers: [{ name, type: 'A', ttl: 60, data: '192.0.2.1' }],
  })
}

test('the same question in any letter case is accepted', () => {
  for (const name of ['www.Example.org', 'WWW.EXAMPLE.ORG', 'www.example.org', 'wWw.eXaMpLe.OrG']) {
    assert.equal(checkReply(reply(name), 7, query.wire, query.questionEnd), undefined, name)
  }
})

test('another name, type or class is a different question', () => {
  const others = [['www.example.com', 'A', 'IN'], ['ww.example.org', 'A', 'IN'],
    ['www.example.org', 'AAAA', 'IN'], ['www.example.org', 'A', 'CH'],
    ['www.example.orh', 'A', 'IN']]
  for (const [name, type, klass] of others) {
    const why = checkReply(reply(name!, type, { klass }), 7, query.wire, query.questionEnd)
    assert.equal(why, 'question', `${name} ${type} ${klass}`)
  }
})

test('wrong ID, no QR bit, runts, no question', () => {
  const check = (r: Uint8Array) => checkReply(r, 7, query.wire, query.questionEnd)
  assert.equal(check(reply('www.example.org', 'A', { id: 8 })), 'id')
  assert.equal(check(reply('www.example.org', 'A', { qr: false })), 'malformed')
  assert.equal(check(new Uint8Array(11)), 'malformed')
  const bare = dnsPacket.encode({ id: 7, type: 'response', flags: 2, questions: [] })
  assert.equal(check(bare), 'question')
  assert.equal(check(reply('www.example.org').slice(0, query.questionEnd - 1)), 'question')
})
