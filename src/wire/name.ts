// Domain names straight from wire bytes (RFC 1035 §4.1.4), with compression pointers followed
// under a hop limit so a pointer loop in a hostile packet ends in an error, not a hang.

/** miekg/dns's cap on compression pointers followed while reading one name. */
const MAX_POINTERS = 126
/** RFC 1035: a name is at most 255 octets on the wire. */
const MAX_NAME_OCTETS = 255

export class WireError extends Error {
  override name = 'WireError'
}

/** Offset just past the name starting at `off` (pointers are not followed: their 2 bytes end it). */
export function skipName(buf: Uint8Array, off: number): number {
  for (;;) {
    if (off >= buf.length) throw new WireError('name overflows message')
    const len = buf[off]!
    if (len === 0) return off + 1
    if ((len & 0xc0) === 0xc0) {
      if (off + 2 > buf.length) throw new WireError('truncated pointer')
      return off + 2
    }
    if ((len & 0xc0) !== 0) throw new WireError('bad label type')
    off += len + 1
  }
}

// Characters miekg/dns escapes with a backslash in presentation format.
const ESCAPED = new Set([0x2e, 0x5c, 0x22, 0x28, 0x29, 0x3b, 0x20, 0x40, 0x24])

/** 1 for the bytes that stand for themselves in presentation format. */
const PLAIN = new Uint8Array(256)
for (let c = 0x21; c <= 0x7e; c++) PLAIN[c] = ESCAPED.has(c) ? 0 : 1

/** A name's presentation bytes, gathered before one string is made of them (at most 254). */
const scratch = Buffer.allocUnsafeSlow(MAX_NAME_OCTETS)

/**
 * Reads the name at `off` in presentation format (FQDN, "." for the root), following pointers.
 * Returns the text exactly as written (case kept); callers lowercase when they need to.
 * A name of plain characters (nearly all) becomes one string from its bytes: every query reads
 * one, and building it a character at a time made a string per character (~300 bytes a query).
 */
export function readName(buf: Uint8Array, off: number): string {
  const start = off
  let n = 0
  let octets = 1
  hops = 0
  for (;;) {
    off = label(buf, off)
    const len = buf[off]!
    if (len === 0) return n === 0 ? '.' : scratch.toString('latin1', 0, n)
    octets += len + 1
    if (octets > MAX_NAME_OCTETS) throw new WireError('name exceeds 255 octets')
    const end = off + 1 + len
    for (let i = off + 1; i < end; i++) {
      const c = buf[i]!
      if (PLAIN[c] === 0) return escapedName(buf, start)
      scratch[n++] = c
    }
    scratch[n++] = 0x2e
    off = end
  }
}

/** readName for a name with characters to escape. */
function escapedName(buf: Uint8Array, off: number): string {
  let out = ''
  let octets = 1
  hops = 0
  for (;;) {
    off = label(buf, off)
    const len = buf[off]!
    if (len === 0) return out === '' ? '.' : out
    octets += len + 1
    if (octets > MAX_NAME_OCTETS) throw new WireError('name exceeds 255 octets')
    const end = off + 1 + len
    for (let i = off + 1; i < end; i++) {
      const c = buf[i]!
      if (c < 0x21 || c > 0x7e) {
        out += c === 0x20 ? '\\ ' : '\\' + String(c).padStart(3, '0')
      } else if (ESCAPED.has(c)) {
        out += '\\' + String.fromCharCode(c)
      } else {
        out += String.fromCharCode(c)
      }
    }
    out += '.'
    off = end
  }
}

/**
 * The name at `off` as uncompressed wire bytes, pointers followed (miekg re-packs a question it
 * read, so its replies never carry the request's pointers). Throws WireError like readName.
 */
export function expandName(buf: Uint8Array, off: number): Uint8Array {
  const out: number[] = []
  hops = 0
  for (;;) {
    off = label(buf, off)
    const len = buf[off]!
    if (out.length + len + 2 > MAX_NAME_OCTETS) throw new WireError('name exceeds 255 octets')
    for (let i = off; i <= off + len; i++) out.push(buf[i]!)
    if (len === 0) return Uint8Array.from(out)
    off += len + 1
  }
}

/** Pointers followed by the name being read (reset by each reader; reads never interleave). */
let hops = 0

/** The offset of the label at `off`, compression pointers followed; a label that fits. */
function label(buf: Uint8Array, off: number): number {
  for (;;) {
    if (off >= buf.length) throw new WireError('name overflows message')
    const len = buf[off]!
    if ((len & 0xc0) === 0) {
      if (off + 1 + len > buf.length) throw new WireError('label overflows message')
      return off
    }
    if ((len & 0xc0) !== 0xc0) throw new WireError('bad label type')
    if (off + 2 > buf.length) throw new WireError('truncated pointer')
    if (++hops > MAX_POINTERS) throw new WireError('too many compression pointers')
    off = ((len & 0x3f) << 8) | buf[off + 1]!
  }
}

/** ASCII-only lowercasing, as DNS compares names (RFC 4343). */
export function lowerName(name: string): string {
  // Fast path: most names arrive lowercase already.
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) return name.toLowerCase()
  }
  return name
}
