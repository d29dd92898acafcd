// Corefiles that use a tsdns-only feature: CoreDNS refuses them by design, so that difference is
// expected, not unexplained. Each entry names the README that says so.

interface TsdnsOnly {
  /** The feature as written in a Corefile. */
  readonly feature: RegExp
  /** Where the README says CoreDNS has no such thing. */
  readonly readme: string
}

const TSDNS_ONLY: readonly TsdnsOnly[] = [
  { feature: /^\s*status\b/m, readme: 'plugins/status/README.md (a tsdns plugin)' },
  { feature: /\bpolicy\s+parallel\b/, readme: 'plugins/forward/README.md, Differences from CoreDNS' },
]

/** The README reference of the first tsdns-only feature the Corefile uses, if any. */
export function tsdnsOnly(text: string): string | undefined {
  return TSDNS_ONLY.find((t) => t.feature.test(text))?.readme
}
