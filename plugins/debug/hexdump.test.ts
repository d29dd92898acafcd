import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hexdump } from './hexdump.ts'

test('16 bytes a line with a hex offset, then the length (as CoreDNS, for text2pcap)', () => {
  const out = hexdump(Uint8Array.from({ length: 18 }, (_, i) => i))
  assert.equal(
    out,
    'debug: 000000 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\ndebug: 000010 10 11\n' +
      'debug: 000012',
  )
})
