// `[CERT KEY] [CA]` arguments read into TLS options, as CoreDNS's pkg/tls NewTLSConfigFromArgs
// reads them: none (system CAs), CA, CERT KEY, or CERT KEY CA. Shared by forward's `tls` (a
// client's certificate and the CA its upstreams are checked against) and the tls plugin (the
// certificate tls:// listeners present and the CA client certificates are checked against).
// The files are read at parse time, so a bad one is a located Corefile error.

import { X509Certificate } from 'node:crypto'
import { resolve } from 'node:path'
import { createSecureContext, type SecureContextOptions } from 'node:tls'
import type { Token } from '../corefile/ast.ts'
import { CorefileError } from '../corefile/errors.ts'
import { readBounded, UnreadableFile } from '../corefile/read.ts'

/**
 * The largest certificate, key or CA bundle read (CoreDNS reads any size): PEM files are a few
 * KiB; the whole Mozilla CA bundle is ~220 KiB. Also a ConfigMap or Secret's limit.
 */
const MAX_TLS_FILE_BYTES = 1 << 20

/** Reads 0 to 3 file arguments (relative to `dir`); throws a CorefileError at the bad one. */
export function readTlsFiles(files: readonly Token[], dir: string, plugin: string): SecureContextOptions {
  const invalid = (t: Token, detail: string): CorefileError =>
    new CorefileError('COREFILE_VALUE', t, detail, plugin)
  const read = (t: Token): string => {
    try {
      return readBounded(resolve(dir, t.text), MAX_TLS_FILE_BYTES)
    } catch (err) {
      const why =
        err instanceof UnreadableFile
          ? err.message
          : ((err as NodeJS.ErrnoException).code ?? String(err))
      throw invalid(t, `cannot read '${t.text}': ${why}`)
    }
  }
  const [certFile, keyFile] = files.length >= 2 ? files : []
  const caFile = files.length === 1 ? files[0] : files[2]
  const opts: SecureContextOptions = {}
  if (caFile) {
    opts.ca = read(caFile)
    try {
      new X509Certificate(opts.ca)
    } catch {
      throw invalid(caFile, `no CA certificate in '${caFile.text}'`)
    }
  }
  if (certFile && keyFile) {
    opts.cert = read(certFile)
    opts.key = read(keyFile)
    try {
      createSecureContext(opts)
    } catch (err) {
      throw invalid(certFile, `invalid TLS certificate or key: ${(err as Error).message}`)
    }
  }
  return opts
}
