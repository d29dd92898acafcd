// node-cache's iptables rules (kubernetes/dns cmd/node-cache/app/cache_app.go initIptables): per
// local IP, skip conntrack for DNS to and from it and accept that traffic in the filter table,
// plus the liveness probe to the health port. Each rule is checked (-C) and, when missing,
// inserted at the top of its chain (-I), as k8s' iptables util does for EnsureRule(Prepend).

import { describeFailure, runTool } from './exec.ts'

const COMMENT_SKIP_CONNTRACK = 'NodeLocal DNS Cache: skip conntrack'
const COMMENT_ALLOW_TRAFFIC = 'NodeLocal DNS Cache: allow DNS traffic'

export interface Rule {
  readonly table: 'raw' | 'filter'
  readonly chain: 'PREROUTING' | 'INPUT' | 'OUTPUT'
  readonly args: readonly string[]
  /**
   * A NOTRACK of queries to a local IP: the nat table (kube-proxy's DNAT) never sees untracked
   * packets, so while it is in place a Service IP among the local IPs is answered here. A
   * graceful stop removes these first.
   */
  readonly skipsDnat: boolean
}

/** node-cache's rules in its order (each lands at the top: `iptables -S` shows them reversed). */
export function nodeCacheRules(localIPs: readonly string[], port: number,
  healthPort: number): Rule[] {
  const dns = String(port)
  const health = String(healthPort)
  const notrack = ['-j', 'NOTRACK', '-m', 'comment', '--comment', COMMENT_SKIP_CONNTRACK]
  const accept = ['-j', 'ACCEPT', '-m', 'comment', '--comment', COMMENT_ALLOW_TRAFFIC]
  const rule = (table: Rule['table'], chain: Rule['chain'], proto: string, dir: '-d' | '-s',
    ip: string, p: string, target: string[]): Rule => ({
    table,
    chain,
    args: ['-p', proto, dir, ip, dir === '-d' ? '--dport' : '--sport', p, ...target],
    skipsDnat: table === 'raw' && dir === '-d' && p === dns,
  })
  return localIPs.flatMap((ip) => [
    // queries to the local IP skip conntrack...
    rule('raw', 'PREROUTING', 'tcp', '-d', ip, dns, notrack),
    rule('raw', 'PREROUTING', 'udp', '-d', ip, dns, notrack),
    // ...so the filter table's "accept tracked connections" rules no longer cover them
    rule('filter', 'INPUT', 'tcp', '-d', ip, dns, accept),
    rule('filter', 'INPUT', 'udp', '-d', ip, dns, accept),
    // the answers
    rule('raw', 'OUTPUT', 'tcp', '-s', ip, dns, notrack),
    rule('raw', 'OUTPUT', 'udp', '-s', ip, dns, notrack),
    rule('filter', 'OUTPUT', 'tcp', '-s', ip, dns, accept),
    rule('filter', 'OUTPUT', 'udp', '-s', ip, dns, accept),
    // queries from the node itself (hostNetwork pods)
    rule('raw', 'OUTPUT', 'tcp', '-d', ip, dns, notrack),
    rule('raw', 'OUTPUT', 'udp', '-d', ip, dns, notrack),
    // the kubelet's liveness probe to the health plugin
    rule('raw', 'OUTPUT', 'tcp', '-d', ip, health, notrack),
    rule('raw', 'OUTPUT', 'tcp', '-s', ip, health, notrack),
  ])
}

/** As node-cache logs a rule: `{raw PREROUTING [-p tcp -d 169.254.20.10 --dport 53 ...]}`. */
export function describeRule(r: Rule): string {
  return `{${r.table} ${r.chain} [${r.args.join(' ')}]}`
}

export type IptablesErrorType = 'iptables' | 'iptables_lock'

export class IptablesError extends Error {
  override name = 'IptablesError'
  readonly type: IptablesErrorType
  constructor(message: string, type: IptablesErrorType) {
    super(message)
    this.type = type
  }
}

/** iptables' words when another process holds /run/xtables.lock past our wait. */
export function isLockedError(stderr: string): boolean {
  return stderr.includes('holding the xtables lock')
}

/** How long iptables waits for the xtables lock, in seconds (node-cache: 5). */
const LOCK_WAIT_S = '5'
/** Bound on deleting duplicates of one rule at teardown. */
const MAX_COPIES = 100

export class Iptables {
  readonly #cmd: string

  constructor(family: 4 | 6) {
    this.#cmd = family === 6 ? 'ip6tables' : 'iptables'
  }

  async #run(op: '-C' | '-I' | '-D', r: Rule): Promise<boolean> {
    const args = ['-w', LOCK_WAIT_S, '-t', r.table, op, r.chain, ...r.args]
    const res = await runTool(this.#cmd, args)
    if (res.code === 0) return true
    // 1 is "no such rule" for -C and -D; any other outcome is a real failure
    if (res.code === 1 && op !== '-I' && !isLockedError(res.stderr)) return false
    const type = isLockedError(res.stderr) ? 'iptables_lock' : 'iptables'
    throw new IptablesError(describeFailure(this.#cmd, args, res), type)
  }

  /** Whether the rule was already there; inserts it at the top of its chain otherwise. */
  async ensure(r: Rule): Promise<boolean> {
    if (await this.#run('-C', r)) return true
    await this.#run('-I', r)
    return false
  }

  /** Deletes every copy of the rule; how many there were. */
  async remove(r: Rule): Promise<number> {
    let n = 0
    while (n < MAX_COPIES && (await this.#run('-D', r))) n++
    return n
  }
}
