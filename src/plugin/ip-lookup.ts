// The `lookup` of tsdns's UDP sockets. dgram passes the address of every send() through its
// lookup; the default one tests the string with a regex and defers the send to the next tick even
// for an IP. tsdns only sends to IPs (a client's, an upstream's from the Corefile), so this one
// hands the address straight back and the datagram leaves within send() (bench: ~1 µs a reply).

type LookupCallback = (err: Error | null, address: string, family: number) => void

export function ipLookup(address: string, family: unknown, cb: LookupCallback): void {
  cb(null, address, typeof family === 'number' ? family : 0)
}
