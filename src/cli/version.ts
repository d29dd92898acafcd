import { existsSync, readFileSync } from 'node:fs'

// The package root is two folders up from src/cli (run as .ts) and from dist/cli (bundled).
const file = [new URL('../../package.json', import.meta.url)].find((u) => existsSync(u))
export const version: string = file
  ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
  : 'unknown'

export function banner(): string {
  return `tsdns-${version}\n${process.platform}/${process.arch}, node ${process.version}`
}
