// DNS over TLS with a real client: kdig +tls against tsdns started as CoreDNS is, with an openssl
// certificate (system test: kdig and openssl).

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { dig, freePort, generateCert, makeTempDir, removeTempDir, startTsdns } from '../../test/helpers/index.ts'

test('kdig +tls gets its answer over TLS, verifying the certificate', async () => {
  const certs = makeTempDir('tsdns-kdig-tls-')
  after(() => removeTempDir(certs))
  const { certPath, keyPath } = await generateCert(certs)
  const port = await freePort('tcp')
  const tsdns = await startTsdns({
    corefile: `tls://.:${port} {\n tls cert.pem key.pem\n whoami\n}\n`,
    files: { 'cert.pem': readFileSync(certPath, 'utf8'), 'key.pem': readFileSync(keyPath, 'utf8') },
  })
  after(() => tsdns.stop())
  const r = await dig({ tool: 'kdig', port, name: 'example.org', opts: ['+tls', `+tls-ca=${join(certs, 'cert.pem')}`] })
  assert.equal(r.status, 'NOERROR', r.raw)
  assert.equal(r.proto, 'TLS', r.raw)
  assert.ok(r.additional.some((rr) => rr.type === 'A' && rr.data === '127.0.0.1'), r.raw)
  assert.match(tsdns.stdout().join('\n'), new RegExp(`^tls://\\.:${port}$`, 'm'))
})
