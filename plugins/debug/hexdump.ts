/**
 * `debug: 000000 xx xx …` lines, 16 bytes each, then a last `debug: <length>` line, as CoreDNS's
 * debug hex dumps (plugin/debug pcap.go): text2pcap reads that last offset as the packet's end.
 */
export function hexdump(buf: Uint8Array): string {
  const lines: string[] = []
  const offset = (n: number) => `debug: ${n.toString(16).padStart(6, '0')}`
  for (let off = 0; off < buf.length; off += 16) {
    const row = [...buf.subarray(off, off + 16)].map((b) => b.toString(16).padStart(2, '0'))
    lines.push(`${offset(off)} ${row.join(' ')}`)
  }
  lines.push(offset(buf.length))
  return lines.join('\n')
}
