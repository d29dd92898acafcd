// A throwaway self-signed certificate for DNS-over-TLS tests, made with the real openssl at test
// time (nothing secret is committed). It names localhost, 127.0.0.1 and ::1, so clients can verify
// it either by IP (kdig +tls-ca=FILE) or by name (+tls-hostname=localhost).

import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

export interface CertFiles {
  /** The certificate (PEM); also the CA file clients trust, since it is self-signed. */
  readonly certPath: string
  readonly keyPath: string
}

/** Writes cert.pem and key.pem (P-256, valid 2 days) into `dir`. */
export async function generateCert(dir: string): Promise<CertFiles> {
  const certPath = join(dir, 'cert.pem')
  const keyPath = join(dir, 'key.pem')
  await execFileAsync('openssl', ['req', '-x509', '-newkey', 'ec',
    '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-keyout', keyPath, '-out', certPath, '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'], { timeout: 10_000 })
  return { certPath, keyPath }
}
