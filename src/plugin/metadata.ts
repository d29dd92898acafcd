// Per-request metadata (CoreDNS plugin/metadata): labels such as `forward/upstream` with a value
// that plugins publish while the request goes down the chain and that others read (log's
// `{/forward/upstream}`). The store exists only while the metadata plugin serves the request:
// without it, publishing costs one field read and nothing is kept, as CoreDNS's SetValueFunc is a
// no-op on a context without metadata.

/** A value, or a function computing it when it is read (CoreDNS metadata.Func). */
export type MetadataValue = string | (() => string)

export class Metadata extends Map<string, MetadataValue> {
  /** The query is in the metadata plugin's zones: providers add their labels (provide()). */
  readonly providing: boolean

  constructor(providing: boolean) {
    super()
    this.providing = providing
  }
}

/** What carries a request's store: a Request (plugin.ts, which imports this module). */
interface Carrier {
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
