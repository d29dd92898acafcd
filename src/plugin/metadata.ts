// Per-request metadata (CoreDNS plugin/metadata): labels such as `forward/upstream` with a value
// that plugins publish while the request goes down the chain and that others read (log's
// `{/forward/upstream}`). The store exists only while the metadata plugin serves the request:
// without it, publishing costs one field read and nothing is kept, as CoreDNS's SetValueFunc is a
// no-op on a context without metadata.

import type { Request } from './plugin.ts'

/** A value, or a function computing it when it is read (CoreDNS metadata.Func). */
export type MetadataValue = string | (() => string)

export type Metadata = Map<string, MetadataValue>

/** Sets `label` for this request; false (and nothing kept) when metadata is not enabled. */
export function publish(r: Request, label: string, value: MetadataValue): boolean {
  const m = r.metadata
  if (m === undefined) return false
  m.set(label, value)
  return true
}

/** The label's value, or undefined when metadata is off or nothing published it. */
export function metadataValue(r: Request, label: string): string | undefined {
  const v = r.metadata?.get(label)
  return typeof v === 'function' ? v() : v
}
