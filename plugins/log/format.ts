// Log line formats (CoreDNS plugin/pkg/replacer): a format is compiled once into literal text and
// placeholder readers; a line is rendered from one recorded query after its reply went out.

import { metadataValue } from '../../src/plugin/metadata.ts'
import type { Addr, Request } from '../../src/plugin/plugin.ts'
import { rcodeName } from '../../src/plugin/rcode.ts'
import { className, typeName } from '../../src/plugin/rrtype.ts'
import { layout, u16 } from '../../src/wire/message.ts'
import { classify, fullRcode, typify } from '../../src/dns/response.ts'

/** One answered (or unanswered) query, as the log plugin recorded it. */
export interface Entry {
  readonly req: Request
  readonly remote: Addr
  readonly local: Addr
  /** The reply as written (or the server's own error reply); undefined when nothing was sent. */
  readonly wire: Uint8Array | undefined
  /** Size of that reply in bytes; 0 when nothing was sent. */
  readonly size: number
  /** The plugin that wrote the reply; '' for the server itself or no reply. */
  readonly writer: string
  /** Nanoseconds from entering the log plugin until the chain returned. */
  readonly ns: number
}

const EMPTY = '-'
export const COMMON_FORMAT =
  '{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" ' +
  '{rcode} {>rflags} {rsize} {duration}'
export const COMBINED_FORMAT = `${COMMON_FORMAT} "{>opcode}"`

type Reader = (e: Entry) => string
type Part = string | Reader
export type Format = readonly Part[]

/** RFC 3986 host: IPv6 addresses in brackets. */
function host(address: string): string {
  return address.includes(':') ? `[${address}]` : address
}

const FLAG_NAMES: readonly (readonly [number, string])[] = [
  [0x8000, 'qr'],
  [0x0400, 'aa'],
  [0x0200, 'tc'],
  [0x0100, 'rd'],
  [0x0080, 'ra'],
  [0x0040, 'z'],
  [0x0020, 'ad'],
  [0x0010, 'cd'],
]

function flagList(flags: number): string {
  let out = ''
  for (const [bit, name] of FLAG_NAMES) if (flags & bit) out += out === '' ? name : `,${name}`
  return out
}

/** Go's strconv.FormatFloat(x, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function goFloat(x: number): string {
  const s = String(x)
  const e = s.indexOf('e')
  if (e < 0) return s
  const exp = Number(s.slice(e + 1))
  const digits = s.slice(0, e).replace('.', '')
  return exp < 0
    ? `0.${'0'.repeat(-exp - 1)}${digits}`
    : digits + '0'.repeat(exp - digits.length + 1)
}

/** time.Duration.Seconds() of a nanosecond count, as the {duration} placeholder prints it. */
export function goSeconds(ns: number): string {
  const whole = Math.floor(ns / 1e9)
  return `${goFloat(whole + (ns - whole * 1e9) / 1e9)}s`
}

function rcodeText(e: Entry): string {
  const wire = e.wire
  if (wire === undefined) return EMPTY
  let rcode = wire[3]! & 0xf
  if (u16(wire, 10) > 0) {
    try {
      rcode = fullRcode(wire, layout(wire))
    } catch {
      // a reply that cannot be walked still has its header rcode
    }
  }
  return rcodeName(rcode)
}

const responseType = (e: Entry) => typify(e.wire, Date.now() / 1000)

const labels: ReadonlyMap<string, Reader> = new Map<string, Reader>([
  ['{type}', (e) => typeName(e.req.type)],
  ['{name}', (e) => e.req.name],
  ['{class}', (e) => className(e.req.class)],
  ['{proto}', (e) => e.req.proto],
  ['{size}', (e) => String(e.req.wire.length)],
  ['{remote}', (e) => host(e.remote.address)],
  ['{port}', (e) => String(e.remote.port)],
  ['{local}', (e) => host(e.local.address)],
  ['{>id}', (e) => String(e.req.id)],
  ['{>opcode}', (e) => String(e.req.opcode)],
  ['{>do}', (e) => String(e.req.do)],
  ['{>bufsize}', (e) => String(e.req.size)],
  ['{rcode}', rcodeText],
  ['{rsize}', (e) => String(e.size)],
  ['{duration}', (e) => goSeconds(e.ns)],
  ['{>rflags}', (e) => (e.wire === undefined ? EMPTY : flagList(u16(e.wire, 2)))],
])

/** `{/LABEL}` values: what CoreDNS's log sets as metadata, plus the plugin that answered. */
const metadata: ReadonlyMap<string, Reader> = new Map<string, Reader>([
  ['log/type', responseType],
  ['log/class', (e) => classify(responseType(e))],
  ['log/plugin', (e) => e.writer || EMPTY],
])

/** Any other label: what a plugin published for the request (metadata plugin), else "-". */
function published(label: string): Reader {
  return (e) => metadataValue(e.req, label) ?? EMPTY
}

function placeholder(label: string): Reader | undefined {
  if (!label.startsWith('{/')) return labels.get(label)
  const name = label.slice(2, -1)
  return metadata.get(name) ?? published(name)
}

/**
 * CoreDNS parseFormat: find each '}' and the last '{' before it. A known label or a `{/…}`
 * metadata label becomes a placeholder; anything else stays literal text.
 */
export function compileFormat(format: string): Format {
  const parts: Part[] = []
  const literal = (text: string) => {
    const last = parts.length - 1
    if (typeof parts[last] === 'string') parts[last] += text
    else if (text !== '') parts.push(text)
  }
  let s = format
  for (;;) {
    const j = s.indexOf('}')
    if (j < 0) break
    const i = s.lastIndexOf('{', j)
    const reader = i < 0 ? undefined : placeholder(s.slice(i, j + 1))
    if (reader === undefined) {
      literal(s.slice(0, j + 1))
    } else {
      literal(s.slice(0, i))
      parts.push(reader)
    }
    s = s.slice(j + 1)
  }
  literal(s)
  return parts
}

export function render(format: Format, e: Entry): string {
  let out = ''
  for (const p of format) out += typeof p === 'string' ? p : p(e)
  return out
}
