// The interface holding the local IPs (kubernetes/dns pkg/netif), through the real `ip` tool:
// created with the IPs as /32 (/128) when missing, the IPs re-added when it exists, deleted at
// teardown. Like node-cache it is left down: the kernel's local routes work regardless.

import { INTERFACE_TYPES, type InterfaceType } from './flags.ts'
import { describeFailure, runTool } from './exec.ts'

export type NetifErrorType = 'interface_add' | 'interface_check'

export class NetifError extends Error {
  override name = 'NetifError'
  readonly type: NetifErrorType
  /** The kernel has no such link type: retrying cannot help. */
  readonly unknownType: boolean
  constructor(message: string, type: NetifErrorType, unknownType = false) {
    super(message)
    this.type = type
    this.unknownType = unknownType
  }
}

interface AddrInfo {
  readonly family: string
  readonly local: string
}

export class Netif {
  readonly name: string
  readonly #type: InterfaceType
  readonly #ips: readonly string[]
  readonly #family: 4 | 6

  constructor(name: string, type: InterfaceType, ips: readonly string[], family: 4 | 6) {
    this.name = name
    this.#type = type
    this.#ips = ips
    this.#family = family
  }

  /** The link's addresses, or undefined when there is no such link. */
  async #addresses(): Promise<string[] | undefined> {
    const args = ['-j', 'addr', 'show', 'dev', this.name]
    const r = await runTool('ip', args)
    if (r.code !== 0) {
      if (r.stderr.includes('does not exist')) return undefined
      throw new NetifError(describeFailure('ip', args, r), 'interface_check')
    }
    const links = JSON.parse(r.stdout || '[]') as { addr_info?: AddrInfo[] }[]
    return (links[0]?.addr_info ?? []).map((a) => a.local)
  }

  async #addAddress(ip: string, type: NetifErrorType): Promise<void> {
    // an IPv6 address on a down link would stay tentative (unbindable) without nodad
    const args = this.#family === 6
      ? ['-6', 'addr', 'add', `${ip}/128`, 'dev', this.name, 'nodad']
      : ['addr', 'add', `${ip}/32`, 'dev', this.name]
    const r = await runTool('ip', args)
    // "File exists" / "Address already assigned": the same IP written another way (fd00:0::a)
    if (r.code !== 0 && !/exists|already assigned/i.test(r.stderr)) {
      throw new NetifError(describeFailure('ip', args, r), type)
    }
  }

  /** Whether the link existed; creates it (with the IPs) or adds back missing IPs. */
  async ensure(): Promise<boolean> {
    const have = await this.#addresses()
    if (have !== undefined) {
      for (const ip of this.#ips) {
        if (!have.includes(ip)) await this.#addAddress(ip, 'interface_check')
      }
      return true
    }
    const args = ['link', 'add', this.name, 'type', this.#type]
    const r = await runTool('ip', args)
    if (r.code !== 0) {
      const unknown = /unknown device type|not supported/i.test(r.stderr)
      const why = unknown
        ? `this kernel has no "${this.#type}" link type (${r.stderr.trim()}); choose another ` +
          `with -interfacetype: ${INTERFACE_TYPES.filter((t) => t !== this.#type).join(', ')}`
        : describeFailure('ip', args, r)
      throw new NetifError(`cannot create interface ${this.name}: ${why}`, 'interface_add', unknown)
    }
    for (const ip of this.#ips) await this.#addAddress(ip, 'interface_add')
    return false
  }

  /** Deletes the link (a veth takes its peer along); false when it was not there. */
  async remove(): Promise<boolean> {
    const args = ['link', 'del', this.name]
    const r = await runTool('ip', args)
    if (r.code === 0) return true
    if (r.stderr.includes('Cannot find device')) return false
    throw new Error(describeFailure('ip', args, r))
  }
}
