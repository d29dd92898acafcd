// Which zone a name belongs to (CoreDNS plugin.Zones.Matches) and when a plugin passes a query on
// (plugin/pkg/fall). Names and zones are lowercased FQDNs (Request.name, normalized zones).

/** Whether `name` is `zone` or below it, label by label (miekg IsSubDomain). */
export function inZone(zone: string, name: string): boolean {
  if (zone === '.' || zone === name) return true
  if (!name.endsWith(zone) || name.length <= zone.length) return false
  // the character before the zone must be a label separator, not an escaped dot
  const i = name.length - zone.length - 1
  return labelEnd(name, i) === i
}

/**
 * The first dot at or after `from` that ends a label of a name in presentation format, or -1:
 * one behind an odd run of backslashes is escaped (miekg NextLabel: "evil\.cluster.local." is two
 * labels, "evil.cluster" and "local").
 */
export function labelEnd(name: string, from: number): number {
  for (let i = name.indexOf('.', from); i >= 0; i = name.indexOf('.', i + 1)) {
    let backslashes = 0
    for (let j = i - 1; j >= 0 && name.charCodeAt(j) === 0x5c; j--) backslashes++
    if (backslashes % 2 === 0) return i
  }
  return -1
}

/** The longest of `zones` that `name` is in, or undefined. */
export function matchZone(zones: readonly string[], name: string): string | undefined {
  let best: string | undefined
  for (const z of zones) {
    if ((best === undefined || z.length > best.length) && inZone(z, name)) best = z
  }
  return best
}

/**
 * CoreDNS fall.F: `fallthrough` with no zones passes on every name, with zones only names in
 * them; without `fallthrough` (no zones) nothing is passed on.
 */
export class Fall {
  readonly zones: readonly string[]
  constructor(zones: readonly string[]) {
    this.zones = zones
  }
  /** From the arguments of a `fallthrough` line, already normalized. */
  static of(zones: readonly string[]): Fall {
    return new Fall(zones.length === 0 ? ['.'] : zones)
  }
  static readonly never = new Fall([])
  through(name: string): boolean {
    return this.zones.length > 0 && matchZone(this.zones, name) !== undefined
  }
}
