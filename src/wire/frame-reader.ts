// Splits a TCP byte stream into its DNS messages, each after a 2-byte length (RFC 1035 §4.2.2).
//
// Every byte is copied at most about twice, however the peer slices the stream: a message whole
// within one chunk is handed on as a view of it, and one spread over chunks is assembled in a
// buffer of its own that grows by doubling up to the announced length. Appending each chunk to
// all that is pending (Buffer.concat) would cost O(n²): ~2 GB of copying for a 64 KiB message
// sent one byte per segment. Growing rather than allocating the announced length at once keeps
// what is held near what was received: 2 bytes announcing 65,535 do not make tsdns hold 64 KiB.

import { u16 } from './message.ts'

const EMPTY = Buffer.alloc(0)
/** First capacity of a message being assembled: most DNS messages fit. */
const FIRST_CAPACITY = 512

export class FrameReader {
  /** The chunk being parsed, from `#at`. */
  #input: Buffer = EMPTY
  #at = 0
  /** The first byte of a length split across chunks, or -1. */
  #high = -1
  /** The length of the next message, once both its bytes are read; -1 before. */
  #length = -1
  /** The next message, when it spans chunks: its first `#filled` bytes. */
  #frame: Buffer | undefined
  #filled = 0

  /**
   * Adds bytes read. The consumer takes every whole message before the next chunk, unless it
   * stopped reading (paused its socket): only then is an unparsed rest joined to the chunk.
   */
  push(chunk: Buffer): void {
    this.#input = this.#at === this.#input.length
      ? chunk
      : Buffer.concat([this.#input.subarray(this.#at), chunk])
    this.#at = 0
  }

  /** The length of the next message if it has arrived whole (`take` returns it), else -1. */
  ready(): number {
    if (this.#length < 0 && !this.#readLength()) return -1
    const len = this.#length
    const left = this.#input.length - this.#at
    if (this.#frame === undefined) {
      if (left >= len) return len
      if (left === 0) return -1
      this.#frame = Buffer.allocUnsafe(Math.min(len, Math.max(FIRST_CAPACITY, left)))
    }
    const n = Math.min(left, len - this.#filled)
    if (n > 0) {
      this.#reserve(this.#filled + n)
      this.#input.copy(this.#frame, this.#filled, this.#at, this.#at + n)
      this.#filled += n
      this.#advance(n)
    }
    return this.#filled === len ? len : -1
  }

  /** The message `ready` found whole. It stays valid: later chunks never write into it. */
  take(): Buffer {
    const len = this.#length
    this.#length = -1
    let msg: Buffer
    if (this.#frame !== undefined) {
      msg = this.#frame
      this.#frame = undefined
      this.#filled = 0
    } else {
      msg = this.#input.subarray(this.#at, this.#at + len)
      this.#advance(len)
    }
    return msg
  }

  /** Lets go of everything held (the connection closed). */
  clear(): void {
    this.#input = EMPTY
    this.#at = 0
    this.#high = -1
    this.#length = -1
    this.#frame = undefined
    this.#filled = 0
  }

  /** Bytes held: read and not handed on, counting the room of a message being assembled. */
  get held(): number {
    return this.#input.length - this.#at + (this.#frame?.length ?? 0)
  }

  #readLength(): boolean {
    const input = this.#input
    const left = input.length - this.#at
    if (this.#high >= 0) {
      if (left === 0) return false
      this.#length = (this.#high << 8) | input[this.#at]!
      this.#high = -1
      this.#advance(1)
      return true
    }
    if (left >= 2) {
      this.#length = u16(input, this.#at)
      this.#advance(2)
      return true
    }
    if (left === 1) {
      this.#high = input[this.#at]!
      this.#advance(1)
    }
    return false
  }

  /** Grows the message being assembled to hold `need` bytes, doubling (never past its length). */
  #reserve(need: number): void {
    const frame = this.#frame!
    if (frame.length >= need) return
    const grown = Buffer.allocUnsafe(Math.min(this.#length, Math.max(need, frame.length * 2)))
    frame.copy(grown, 0, 0, this.#filled)
    this.#frame = grown
  }

  /** Moves past `n` bytes of the chunk, letting go of it once it is all parsed. */
  #advance(n: number): void {
    this.#at += n
    if (this.#at === this.#input.length) {
      this.#input = EMPTY
      this.#at = 0
    }
  }
}
