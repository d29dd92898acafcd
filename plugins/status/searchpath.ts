// Search-path waste: with `ndots: 5` (Kubernetes' default) a pod resolving api.github.com first
// asks api.github.com.<ns>.svc.cluster.local, api.github.com.svc.cluster.local and
// api.github.com.cluster.local, each an NXDOMAIN, before the name itself.

/** Kubernetes' search list below the pod's namespace: <ns>.svc.<domain>, svc.<domain>, <domain>. */
export const DEFAULT_SUFFIXES: readonly string[] = ['svc.cluster.local.', 'cluster.local.']

interface Suffix {
  /** '.svc.cluster.local.': what a name must end with. */
  readonly dotted: string
  /** Another suffix lies under it (cluster.local under svc.cluster.local). */
  readonly parent: boolean
}

/** Whether `client`'s waste already names `from` (BlockStats: the current slice's list). */
export type Held = (client: string, from: string) => boolean

export class SearchPath {
  readonly suffixes: readonly string[]
  readonly #list: readonly Suffix[]

  /** `suffixes`: lowercased FQDNs. */
  constructor(suffixes: readonly string[]) {
    this.suffixes = suffixes
    this.#list = [...suffixes]
      .sort((a, b) => b.length - a.length)
      .map((s) => ({
        dotted: `.${s}`,
        parent: suffixes.some((o) => o !== s && o.endsWith(`.${s}`)),
      }))
  }

  /**
   * The name a search-list expansion was made from (without its trailing dot), or undefined.
   * Under the longest suffix that matches: below the deepest suffix (svc.cluster.local) the
   * search list puts the pod's namespace, so it takes NAME.<namespace> with a dot in NAME (three
   * labels: `svc.ns` alone is a Service); below a suffix with another under it (cluster.local),
   * any NAME with a dot. SRV names (`_port._proto.…`) never count.
   *
   * Below the deepest suffix, three labels or more also read as a whole NAME expanded by the next
   * entry (`api.github.com.svc.cluster.local`, after `api.github.com.<ns>.svc.cluster.local`):
   * when `held(client, whole)` says the client's waste already names the whole, that is the name.
   * It only names what counts anyway; two labels stay a Service.
   */
  expandedFrom(name: string, client = '', held?: Held): string | undefined {
    for (const s of this.#list) {
      if (!name.endsWith(s.dotted)) continue
      const rest = name.slice(0, name.length - s.dotted.length)
      const last = rest.lastIndexOf('.')
      if (last < 0 || rest.startsWith('_')) return undefined
      if (s.parent) return rest
      if (rest.lastIndexOf('.', last - 1) < 0) return undefined
      return held?.(client, rest) === true ? rest : rest.slice(0, last)
    }
    return undefined
  }
}
