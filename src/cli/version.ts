import { existsSync, readFileSync } from 'node:fs'

// From source the package root is ../../ of src/cli; after a build (dist/src/cli) one more up.
const candidates = ['../../package.json', '../../../package.json'].map((p) => new URL(p, import.meta.url))
const file = candidates.find((u) => existsSync(u))
export const version: string = file
  ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
  : 'unknown'

export function banner(): string {
  return `tsdns-${version}\n${process.platform}/${process.arch}, node ${process.version}`
}
