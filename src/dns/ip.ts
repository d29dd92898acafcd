// IP address text to bytes with Go's net.ParseIP rules (no leading zeros in IPv4 octets, one
// '::' in IPv6, an IPv4 tail allowed): record data, hosts entries, CIDRs, networks.

/** 4 bytes for a dotted quad, undefined otherwise. */
export function ipv4Bytes(s: string): Uint8Array | undefined {
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined
    out[i] = Number(p)
  }
  return out
}

/** 16 bytes for an IPv6 address (an IPv4 tail allowed), undefined otherwise. */
export function ipv6Bytes(s: string): Uint8Array | undefined {
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  const head = words(halves[0]!, halves.length === 1)
  const tail = halves.length === 2 ? words(halves[1]!, true) : []
  if (head === undefined || tail === undefined) return undefined
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return undefined
  const out = new Uint8Array(16)
  const put = (w: number, at: number): void => {
    out[at * 2] = w >>> 8
    out[at * 2 + 1] = w & 0xff
  }
  head.forEach((w, i) => put(w, i))
  tail.forEach((w, i) => put(w, 8 - tail.length + i))
  return out
}

/** 16-bit groups of one side of '::'; the last group of the address may be an IPv4 tail. */
function words(side: string, last: boolean): number[] | undefined {
  if (side === '') return []
  const groups = side.split(':')
  const out: number[] = []
  for (const [i, g] of groups.entries()) {
    if (last && i === groups.length - 1 && g.includes('.')) {
      const v4 = ipv4Bytes(g)
      if (v4 === undefined) return undefined
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
      out.push(parseInt(g, 16))
    } else {
      return undefined
    }
  }
  return out
}

/**
 * Go's net.ParseIP (an IPv6 zone such as %eth0 dropped first, as CoreDNS's hosts does): 4 bytes
 * for IPv4 and for IPv4-mapped IPv6 (Go's To4), 16 for other IPv6.
 */
export function parseIp(text: string): Uint8Array | undefined {
  const s = text.includes('%') ? text.slice(0, text.indexOf('%')) : text
  if (!s.includes(':')) return ipv4Bytes(s)
  const b = ipv6Bytes(s)
  return b === undefined ? undefined : unmap(b)
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its 4 IPv4 bytes (Go's To4); others as given. */
export function unmap(b: Uint8Array): Uint8Array {
  const mapped =
    b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff
  return mapped ? b.slice(12) : b
}
