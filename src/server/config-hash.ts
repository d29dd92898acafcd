import { createHash } from 'node:crypto'
import type { Directive, ServerBlock } from '../corefile/ast.ts'

function dir(d: Directive): unknown {
  return [d.name.text, d.args.map((a) => a.text), d.block?.map(dir) ?? null]
}

/**
 * SHA512 of the parsed configuration's words only (CoreDNS hashes the JSON of the server
 * blocks): editing a comment or whitespace changes nothing, so it does not reload.
 */
export function configHash(blocks: readonly ServerBlock[]): string {
  const words = blocks.map((b) => [b.keys.map((k) => k.text), b.directives.map(dir)])
  return createHash('sha512').update(JSON.stringify(words)).digest('hex')
}
