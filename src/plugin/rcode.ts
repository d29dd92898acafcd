// DNS rcodes and the "nothing was written" rule of the plugin contract (CoreDNS plugin.ClientWrite).

export const Rcode = {
  NoError: 0,
  FormErr: 1,
  ServFail: 2,
  NXDomain: 3,
  NotImp: 4,
  Refused: 5,
  YXDomain: 6,
  YXRRSet: 7,
  NXRRSet: 8,
  NotAuth: 9,
  NotZone: 10,
  BadVers: 16,
} as const

const names: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADVERS',
}

/** Rcode as CoreDNS prints it (miekg RcodeToString); unknown codes print as the number. */
export function rcodeName(rcode: number): string {
  return names[rcode] ?? String(rcode)
}

const byName = new Map(Object.entries(names).map(([k, v]) => [v, Number(k)]))

/** Parse an rcode name (case-insensitive) as written in a Corefile; undefined when unknown. */
export function rcodeFromName(name: string): number | undefined {
  return byName.get(name.toUpperCase())
}

/** True when a handler returning `rcode` has already written its reply (CoreDNS ClientWrite). */
export function clientWrote(rcode: number): boolean {
  return !(
    rcode === Rcode.ServFail ||
    rcode === Rcode.Refused ||
    rcode === Rcode.FormErr ||
    rcode === Rcode.NotImp
  )
}
