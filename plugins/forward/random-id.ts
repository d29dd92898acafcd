// Message IDs for upstream queries from the crypto RNG (an off-path spoofer must guess them),
// drawn from a refilled block so a query costs two byte reads, not a syscall.

import { randomFillSync } from 'node:crypto'

const block = new Uint8Array(4096)
let next = block.length

export function randomId(): number {
  if (next >= block.length) {
    randomFillSync(block)
    next = 0
  }
  const id = (block[next]! << 8) | block[next + 1]!
  next += 2
  return id
}
