// The shared DNS test harness: real servers (unbound, dnsmasq, tsdns itself), real clients
// (dig, kdig, raw sockets) and a scripted fake upstream, all on loopback. See README.md.

export { freePort, freePorts } from './ports.ts'
export type { PortProto } from './ports.ts'
export { dig, digArgs, parseDig } from './dig.ts'
export type { DigOptions, DigResult, DigTool, Rr } from './dig.ts'
export { answerData, buildQuery, decode, queryPacket, randomId, rcodeName, rcodeOf, tcpQuery,
  udpQuery, udpQueryAll, udpQueryFrom } from './query.ts'
export type { Bytes, EdnsOptions, QueryOptions, TcpOptions, UdpOptions, UdpReply } from './query.ts'
export { startUnbound } from './unbound.ts'
export type { HostPort, LocalZoneType, Unbound, UnboundOptions } from './unbound.ts'
export { dnsmasqArgs, startDnsmasq } from './dnsmasq.ts'
export type { Dnsmasq, DnsmasqOptions, DnsmasqServer } from './dnsmasq.ts'
export { answer, answerFrom, drop, fakeUpstream, formerr, nxdomain, refused, reply, servfail,
  slow, spoofed, truncated, wrongId, wrongQuestion } from './fake-upstream.ts'
export type { FakeAction, FakeHandler, FakeQuery, FakeUpstream, FakeUpstreamOptions, Proto,
  ReplyOptions } from './fake-upstream.ts'
export { entryArgs, IMAGE_HEAP_FLAGS, startTsdns, TSDNS_MAIN } from './tsdns.ts'
export type { Tsdns, TsdnsOptions } from './tsdns.ts'
export { rr } from './rr.ts'
export { generateCert } from './cert.ts'
export type { CertFiles } from './cert.ts'
export { sleep, spawnChild } from './proc.ts'
export type { Child, ExitStatus, SpawnOptions, Stream } from './proc.ts'
export { makeTempDir, removeTempDir } from './tmp.ts'
