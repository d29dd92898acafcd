// A self-signed certificate made with node:crypto alone, for TLS tests in `npm test` (no
// openssl there; cert.ts is openssl's, for system tests). P-256, valid one day, for localhost,
// 127.0.0.1 and ::1: a small DER writer for the few X.509 fields a TLS server needs (RFC 5280).

import { generateKeyPairSync, sign } from 'node:crypto'

function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts)
  const n = body.length
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff])
  return Buffer.concat([Buffer.from([tag]), len, body])
}
const seq = (...p: Buffer[]): Buffer => der(0x30, ...p)
const oid = (hex: string): Buffer => der(0x06, Buffer.from(hex, 'hex'))
const utc = (d: Date): Buffer => der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'))

const ECDSA_SHA256 = seq(oid('2a8648ce3d040302'))
const NAME = seq(der(0x31, seq(oid('550403'), der(0x0c, Buffer.from('localhost'))))) // CN=localhost

export interface TestCert {
  readonly cert: string
  readonly key: string
}

export function selfSignedCert(): TestCert {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const now = Date.now()
  const san = seq(
    der(0x82, Buffer.from('localhost')),
    der(0x87, Buffer.from([127, 0, 0, 1])),
    der(0x87, Buffer.alloc(15), Buffer.from([1])),
  )
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, Buffer.from([0x01, ...Array.from({ length: 8 }, () => Math.floor(Math.random() * 256))])),
    ECDSA_SHA256,
    NAME,
    seq(utc(new Date(now - 3600_000)), utc(new Date(now + 86400_000))),
    NAME,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, seq(
      seq(oid('551d11'), der(0x04, san)), // subjectAltName
      seq(oid('551d13'), der(0x04, seq(der(0x01, Buffer.from([0xff]))))), // basicConstraints CA
    )),
  )
  const signature = sign('sha256', tbs, privateKey)
  const certDer = seq(tbs, ECDSA_SHA256, der(0x03, Buffer.from([0]), signature))
  const b64 = certDer.toString('base64').replace(/.{64}/g, '$&\n')
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  }
}
