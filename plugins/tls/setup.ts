// tls: the certificate tls:// listeners present, and what they ask of clients (CoreDNS
// plugin/tls, manual certificates). Not a chain link: the block's tls:// servers wrap each
// accepted connection in TLS (src/server/tls.ts). In a dns:// block it has no effect, as in
// CoreDNS; a tls:// block without it serves plain TCP, also as CoreDNS does.

import { closeSync, openSync, writeSync } from 'node:fs'
import { resolve } from 'node:path'
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls'
import type { Directive, Token } from '../../src/corefile/ast.ts'
import { args, unknownProperty } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { definePlugin, type TlsServing } from '../../src/plugin/plugin.ts'
import { readTlsFiles } from '../../src/plugin/tls-files.ts'

const NAME = 'tls'

/** Go's tls.ClientAuthType, by its Corefile name. */
export type ClientAuth = 'nocert' | 'request' | 'require' | 'verify_if_given' | 'require_and_verify'
const CLIENT_AUTH: readonly string[] = ['nocert', 'request', 'require', 'verify_if_given', 'require_and_verify']

export interface TlsConfig {
  /** Certificate, key and CA (client certificates are checked against it; the system's without). */
  readonly files: SecureContextOptions
  readonly clientAuth: ClientAuth
  /** keylog FILE, absolute. */
  readonly keylog: string | undefined
}

function one(opt: Directive): Token {
  return args(opt, 1, 1, NAME)[0]!
}

/** `tls CERT KEY [CA] { client_auth MODE; keylog FILE }`; the last line of a block wins. */
function parseTls(stanzas: readonly Directive[], dir: string): TlsConfig {
  let cfg: TlsConfig | undefined
  for (const d of stanzas) {
    if (d.args.length === 0) {
      const detail = 'ACME (tls without CERT KEY) is not supported by tsdns: give CERT KEY [CA]'
      throw new CorefileError('COREFILE_UNSUPPORTED', d.name, detail, NAME)
    }
    const files = args(d, 2, 3, NAME)
    let clientAuth: ClientAuth = 'nocert'
    let keylog: string | undefined
    for (const opt of d.block ?? []) {
      switch (opt.name.text) {
        case 'client_auth': {
          const mode = one(opt)
          if (!CLIENT_AUTH.includes(mode.text)) {
            const detail = `unknown authentication type '${mode.text}', expecting ${CLIENT_AUTH.join(', ')}`
            throw new CorefileError('COREFILE_VALUE', mode, detail, NAME)
          }
          clientAuth = mode.text as ClientAuth
          break
        }
        case 'keylog':
          keylog = resolve(dir, one(opt).text)
          break
        default:
          throw unknownProperty(opt, NAME)
      }
    }
    cfg = { files: readTlsFiles(files, dir, NAME), clientAuth, keylog }
  }
  return cfg!
}

/** What Go's ClientAuthType asks of a client, in node:tls terms. */
function serving(cfg: TlsConfig, keylog: TlsServing['keylog']): TlsServing {
  const context = createSecureContext({ ...cfg.files, minVersion: 'TLSv1.2' })
  const base = { context, keylog, requestCert: cfg.clientAuth !== 'nocert', rejectUnauthorized: false }
  switch (cfg.clientAuth) {
    case 'require': // any certificate, not verified
      return { ...base, admit: hasCertificate }
    case 'verify_if_given':
      return { ...base, admit: (s) => !hasCertificate(s) || s.authorized }
    case 'require_and_verify':
      return { ...base, rejectUnauthorized: true }
    default:
      return base
  }
}

function hasCertificate(s: TLSSocket): boolean {
  return Object.keys(s.getPeerCertificate()).length > 0
}

export default definePlugin<TlsConfig>({
  name: NAME,
  parse: (stanzas, ctx) => parseTls(stanzas, ctx.dir),
  setup(cfg, ctx) {
    let keylog: TlsServing['keylog']
    if (cfg.keylog !== undefined) {
      let fd: number
      try {
        fd = openSync(cfg.keylog, 'a', 0o600)
      } catch (err) {
        throw new Error(`plugin/tls: unable to write TLS Key Log to "${cfg.keylog}": ${(err as Error).message}`)
      }
      ctx.log.warning(`Writing TLS Key Log to "${cfg.keylog}"`)
      keylog = (line) => void writeSync(fd, line)
      ctx.onShutdown(() => closeSync(fd))
    }
    ctx.tlsServing(serving(cfg, keylog))
    return undefined
  },
})
