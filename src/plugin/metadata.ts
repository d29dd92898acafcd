// Per-request metadata (CoreDNS plugin/metadata): labels such as `forward/upstream` with a value
// that plugins publish while the request goes down the chain and that others read (log's
// `{/forward/upstream}`). The store exists only once a block with the metadata plugin took the
// request: without it, publishing costs one field read and nothing is kept, as CoreDNS's
// SetValueFunc is a no-op on a context without metadata.
//
// CoreDNS collects (makes the store, runs the providers) before a block's view filter, so a view
// expression reads `metadata('view/name')`; here the view filter collects for its block and the
// block's metadata handler keeps that store instead of making another (collect(), ensureCollected()).

import type { Directive } from '../corefile/ast.ts'
import { noBlock } from '../corefile/args.ts'
import { normalizeZones } from '../corefile/keys.ts'
import { matchZone } from './zones.ts'

/** A value, or a function computing it when it is read (CoreDNS metadata.Func). */
export type MetadataValue = string | (() => string)

export class Metadata extends Map<string, MetadataValue> {
  /** The query is in the metadata plugin's zones: providers add their labels (provide()). */
  readonly providing: boolean
  /** The server block whose metadata plugin the store belongs to (its ServerBlock). */
  readonly block: object

  constructor(providing: boolean, block: object) {
    super()
    this.providing = providing
    this.block = block
  }
}

/**
 * `metadata [ZONES...]`: its zones, the block's by default; one stanza, nothing in a block
 * (CoreDNS's setup reads one line and fails on any token after it). The view plugin reads the
 * block's metadata line the same way.
 */
export function parseMetadata(
  stanzas: readonly Directive[],
  blockZones: readonly string[],
): readonly string[] {
  const d = stanzas[0]! // `once`: a second stanza is refused
  // an empty block passes CoreDNS's check, a line in it does not
  if (d.block !== undefined && d.block.length > 0) noBlock(d, 'metadata')
  return d.args.length > 0 ? normalizeZones(d.args, 'metadata') : blockZones
}

/**
 * CoreDNS Metadata.Collect: a fresh store on `r` for `block`, whose metadata plugin has `zones`.
 * The store stays on the request when the block's view then fails: a later block without
 * metadata reads it, as CoreDNS's context carries it on (checked against 1.14.7).
 */
export function collect(r: Carrier, zones: readonly string[], block: object): void {
  // plugins read the field; only this module sets it (WireRequest declares it writable)
  ;(r as { metadata: Metadata | undefined }).metadata =
    new Metadata(matchZone(zones, r.name) !== undefined, block)
}

/** The metadata handler's step: keep what the block's view filter collected, else collect. */
export function ensureCollected(r: Carrier, zones: readonly string[], block: object): void {
  if (r.metadata?.block !== block) collect(r, zones, block)
}

/** What carries a request's store: a Request (plugin.ts, which imports this module). */
interface Carrier {
  readonly name: string
  readonly metadata: Metadata | undefined
}

/** Sets `label` for this request (SetValueFunc); false, nothing kept, when metadata is off. */
export function publish(r: Carrier, label: string, value: MetadataValue): boolean {
  const m = r.metadata
  if (m === undefined) return false
  m.set(label, value)
  return true
}

/**
 * What a CoreDNS metadata.Provider adds (view's `view/name`): only for queries in the metadata
 * plugin's zones, where publish() sets a label for every query the plugin serves.
 */
export function provide(r: Carrier, label: string, value: MetadataValue): boolean {
  return r.metadata?.providing === true && publish(r, label, value)
}

/** The label's value, or undefined when metadata is off or nothing published it. */
export function metadataValue(r: Carrier, label: string): string | undefined {
  const v = r.metadata?.get(label)
  return typeof v === 'function' ? v() : v
}
