/** `debug: 000000 xx xx …` lines, 16 bytes each, as CoreDNS's debug hex dumps. */
export function hexdump(buf: Uint8Array): string {
  const lines: string[] = []
  for (let off = 0; off < buf.length; off += 16) {
    const row = [...buf.subarray(off, off + 16)].map((b) => b.toString(16).padStart(2, '0'))
    lines.push(`debug: ${off.toString(16).padStart(6, '0')} ${row.join(' ')}`)
  }
  return lines.join('\n')
}
