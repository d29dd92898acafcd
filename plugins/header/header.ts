// header: sets or clears the AA, RA and RD flags of queries and responses (CoreDNS plugin/header).
// Query rules change the request in place before the next plugin sees it, as CoreDNS does: the
// upstreams get the new flags and replies built from the request copy its RD. Response rules
// change what the plugins below write; replies the server writes itself (SERVFAIL after an error)
// and cache hits (cache comes first in the chain) are left alone, as in CoreDNS.

import { WrappedWriter } from '../../src/dns/writer.ts'
import { nextOrFailure, type Handler, type ResponseWriter } from '../../src/plugin/plugin.ts'
import { Flag, setU16, u16 } from '../../src/wire/message.ts'
import { WireRequest } from '../../src/wire/request.ts'

export const FLAGS = { aa: Flag.AA, ra: Flag.RA, rd: Flag.RD } as const
export type FlagName = keyof typeof FLAGS

export interface Rule {
  readonly flag: FlagName
  readonly state: boolean
}

/** Rules in order (the last one on a flag wins) folded into the bits to set and to clear. */
export interface FlagEdit {
  readonly set: number
  readonly clear: number
}

export function foldRules(rules: readonly Rule[]): FlagEdit {
  let set = 0
  let clear = 0
  for (const { flag, state } of rules) {
    const bit = FLAGS[flag]
    if (state) {
      set |= bit
      clear &= ~bit
    } else {
      clear |= bit
      set &= ~bit
    }
  }
  return { set, clear }
}

function edit(flags: number, e: FlagEdit): number {
  return (flags & ~e.clear) | e.set
}

/** Applies the response rules to every reply written below (in place: the writer owns it). */
class HeaderWriter extends WrappedWriter {
  readonly #edit: FlagEdit

  constructor(w: ResponseWriter, e: FlagEdit) {
    super(w)
    this.#edit = e
  }

  override write(wire: Uint8Array, by: string): void {
    setU16(wire, 2, edit(u16(wire, 2), this.#edit))
    this.inner.write(wire, by)
  }
}

export function headerHandler(
  query: FlagEdit,
  response: FlagEdit,
  next: Handler | undefined,
): Handler {
  const editQuery = query.set !== 0 || query.clear !== 0
  const editResponse = response.set !== 0 || response.clear !== 0
  return {
    name: 'header',
    serveDNS(ctx, w, r) {
      if (editQuery && r instanceof WireRequest) r.setFlags(edit(r.flags, query))
      const out = editResponse ? new HeaderWriter(w, response) : w
      return nextOrFailure('header', next, ctx, out, r)
    },
  }
}
