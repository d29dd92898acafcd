// Applying a load-balancing order to a reply. Wire bytes are reordered in place when only
// address records of one owner trade places (their TTL and RDATA blocks have the same size and
// hold no names, so compression pointers stay valid); any other reordering (a CNAME moved first,
// MX records, addresses of different owners) decodes the message, reorders it and encodes it.

import dnsPacket from 'dns-packet'
import { encodeMsg, msgRcode } from '../../src/plugin/msg.ts'
import type { Msg } from '../../src/plugin/plugin.ts'
import { Type, typeCode } from '../../src/plugin/rrtype.ts'
import { layout, rcodeOf, rrType, u16, type Layout } from '../../src/wire/message.ts'
import { lowerName, readName } from '../../src/wire/name.ts'
import { addressBytes, type Networks } from '../../src/dns/networks.ts'
import {
  isAddress,
  prefer,
  roundRobin,
  weighted,
  type Rand,
  type Rec,
  type Weights,
} from './policy.ts'

type Section = 'answers' | 'authorities' | 'additionals'
const SECTIONS: readonly Section[] = ['answers', 'authorities', 'additionals']

export interface BalanceConfig {
  readonly policy: 'round_robin' | 'weighted'
  /** The weights in force (weighted); read per reply, as a reload may replace them. */
  readonly weights: () => Weights
  readonly prefer: readonly Networks[]
  readonly rand: Rand
}

function identity(perm: readonly number[]): boolean {
  return perm.every((v, i) => v === i)
}

/** The new order of one section, or undefined to leave it as it is. */
function plan(
  cfg: BalanceConfig,
  recs: readonly Rec[],
  section: Section,
  qtype: number,
): number[] | undefined {
  let perm: number[] | undefined
  if (cfg.policy === 'round_robin') perm = roundRobin(recs, cfg.rand)
  else if (
    section !== 'authorities' &&
    (qtype === Type.A || qtype === Type.AAAA || qtype === Type.SRV)
  ) {
    perm = weighted(recs, cfg.weights(), cfg.rand)
  }
  if (cfg.prefer.length > 0 && section !== 'authorities') {
    perm ??= recs.map((_, i) => i)
    prefer(recs, perm, cfg.prefer)
  }
  return perm === undefined || identity(perm) ? undefined : perm
}

/** Where the name at `off` starts: its pointer's target, or `off` itself. */
function nameStart(wire: Uint8Array, off: number): number {
  const b = wire[off]!
  return (b & 0xc0) === 0xc0 ? ((b & 0x3f) << 8) | wire[off + 1]! : off
}

/**
 * The section's records. Owners are compared by where their names start, which is enough when
 * they all point at one name (the usual compressed reply); otherwise, or when the weights need
 * them, as lowercased text.
 */
function wireRecs(wire: Uint8Array, l: Layout, first: number, count: number, text: boolean): Rec[] {
  const recs: { type: number; owner: string | number; buf: Uint8Array; at: number; len: number }[] =
    []
  let owner0: number | undefined
  let same = true
  for (let i = first; i < first + count; i++) {
    const type = rrType(wire, l, i)
    if (!isAddress(type) && type !== Type.MX) {
      recs.push({ type, owner: 0, buf: wire, at: 0, len: 0 })
      continue
    }
    const owner = nameStart(wire, l.starts[i]!)
    owner0 ??= owner
    same &&= owner === owner0
    const at = l.ttls[i]! + 6
    const rdlen = u16(wire, at - 2)
    const len = isAddress(type) && rdlen === (type === Type.A ? 4 : 16) ? rdlen : 0
    recs.push({ type, owner, buf: wire, at, len })
  }
  if (text || !same) {
    recs.forEach((r, i) => {
      if (r.owner !== 0) r.owner = lowerName(readName(wire, l.starts[first + i]!))
    })
  }
  return recs
}

/** Only addresses of one owner and type trade places: their blocks can be swapped in place. */
function inPlace(recs: readonly Rec[], perm: readonly number[]): boolean {
  return perm.every((src, dst) => {
    if (src === dst) return true
    const a = recs[src]!
    const b = recs[dst]!
    return a.len > 0 && b.len > 0 && a.type === b.type && a.owner === b.owner
  })
}

/** Moves the TTL+RDLENGTH+RDATA blocks of section records starting at index `first`. */
function permuteBlocks(wire: Uint8Array, l: Layout, first: number, perm: readonly number[]): void {
  const from = l.ttls[first]!
  // one copy of the section to read from (Buffer's slice() would share memory)
  const old = new Uint8Array(wire.subarray(from, l.starts[first + perm.length]!))
  for (let dst = 0; dst < perm.length; dst++) {
    const src = perm[dst]!
    if (src === dst) continue
    const s = l.ttls[first + src]! - from
    const end = l.starts[first + src + 1]! - from
    for (let i = s, o = l.ttls[first + dst]!; i < end; i++, o++) wire[o] = old[i]!
  }
}

const NONE: readonly number[] = []

function msgRecs(records: readonly dnsPacket.Answer[]): Rec[] {
  return records.map((a) => {
    const type = typeCode(a.type) ?? 0
    if (!isAddress(type) && type !== Type.MX) return { type, owner: '', buf: NONE, at: 0, len: 0 }
    const name = lowerName(a.name)
    const owner = name.endsWith('.') ? name : `${name}.`
    const data = (a as { data?: unknown }).data
    const ip = isAddress(type) && typeof data === 'string' ? addressBytes(data) : undefined
    return { type, owner, buf: ip ?? NONE, at: 0, len: ip?.length ?? 0 }
  })
}

/** Reorders a decoded reply; returns a new message when anything moved, else `m` itself. */
export function balanceMsg(cfg: BalanceConfig, m: Msg, qtype: number): Msg {
  if (msgRcode(m) !== 0) return m
  let out: Msg | undefined
  for (const section of SECTIONS) {
    const records = m[section]
    if (records === undefined || records.length < 2) continue
    const perm = plan(cfg, msgRecs(records), section, qtype)
    if (perm === undefined) continue
    out ??= { ...m }
    out[section] = perm.map((i) => records[i]!)
  }
  return out ?? m
}

/** Reorders reply bytes: in place when it can, else decoded and encoded again. */
export function balanceWire(cfg: BalanceConfig, wire: Uint8Array, qtype: number): Uint8Array {
  if (wire.length < 12 || rcodeOf(wire) !== 0) return wire
  if (u16(wire, 6) < 2 && u16(wire, 8) < 2 && u16(wire, 10) < 2) return wire
  let l: Layout
  try {
    l = layout(wire)
  } catch {
    return wire
  }
  const plans: { first: number; perm: number[] }[] = []
  let fits = true
  let first = 0
  for (const [section, count] of [
    ['answers', l.an],
    ['authorities', l.ns],
    ['additionals', l.ar],
  ] as const) {
    if (count >= 2) {
      const recs = wireRecs(wire, l, first, count, cfg.policy === 'weighted')
      const perm = plan(cfg, recs, section, qtype)
      if (perm !== undefined) {
        plans.push({ first, perm })
        fits &&= inPlace(recs, perm)
      }
    }
    first += count
  }
  if (plans.length === 0) return wire
  if (!fits) {
    const m = dnsPacket.decode(Buffer.from(wire.buffer, wire.byteOffset, wire.length))
    return encodeMsg(balanceMsg(cfg, m, qtype))
  }
  for (const p of plans) permuteBlocks(wire, l, p.first, p.perm)
  return wire
}
