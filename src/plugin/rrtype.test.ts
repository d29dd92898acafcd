import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { Class, classCode, className, packetType, Type, typeCode, typeName } from './rrtype.ts'

test('mnemonics both ways, as miekg/dns: HTTPS, SVCB, URI, NONE; TYPEnnn for the unknown', () => {
  assert.equal(typeCode('HTTPS'), 65)
  assert.equal(typeCode('svcb'), 64)
  assert.equal(typeCode('URI'), 256)
  assert.equal(typeCode('A'), 1)
  assert.equal(typeCode('TYPE65000'), 65000)
  assert.equal(typeCode('NOSUCH'), undefined)
  assert.equal(typeName(65), 'HTTPS')
  assert.equal(typeName(28), 'AAAA')
  assert.equal(typeName(65000), 'TYPE65000')
  assert.equal(className(254), 'NONE')
  assert.equal(className(1), 'IN')
  assert.equal(classCode('none'), 254)
  assert.equal(className(3), 'CH')
  assert.equal(className(4242), 'CLASS4242')
  // what dns-packet is given must encode to the same number, names it lacks included
  for (const t of [1, 28, 64, 65, 256, 65000]) {
    const wire = dnsPacket.encode({ questions: [{ name: 'x.test', type: packetType(t) as never }] })
    assert.equal(wire.readUInt16BE(wire.length - 4), t, `type ${t}`)
  }
})

test('one table: every miekg type name reads back to its number, as miekg spells it', () => {
  for (const [name, code] of Object.entries(Type)) assert.equal(typeName(code), name)
  assert.equal(typeName(23), 'NSAP-PTR')
  assert.equal(typeName(65535), 'Reserved')
  assert.equal(typeName(0), 'None')
  assert.equal(typeCode('nsap-ptr'), 23)
  assert.equal(typeCode('constructor'), undefined)
  assert.equal(classCode('toString'), undefined)
  assert.equal(classCode('CLASS4242'), 4242)
  assert.equal(className(Class.CS), 'CS')
})
