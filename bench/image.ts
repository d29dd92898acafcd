// tsdns as the container image runs it: built by the image's own build script, started with the
// node flags of manifests/Dockerfile's ENTRYPOINT (read from the file, so a measurement never runs
// leaner than the image does).

import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stages } from '../test/helpers/dockerfile.ts'

export const root = fileURLToPath(new URL('..', import.meta.url))

function runtime(): { op: string; args: string }[] {
  const { stages: st } = stages(readFileSync(join(root, 'manifests/Dockerfile'), 'utf8'))
  return [...st.at(-1)!.instructions]
}

/** The ENTRYPOINT's words: node, its flags, the snapshot blob under /app it starts from, `--`. */
function entrypoint(): { flags: string[]; entry: string } {
  const ep = runtime().filter((i) => i.op === 'ENTRYPOINT').at(-1)
  if (!ep) throw new Error('manifests/Dockerfile has no ENTRYPOINT')
  const words = JSON.parse(ep.args) as string[]
  const blob = words.indexOf('--snapshot-blob')
  if (blob < 0) throw new Error('manifests/Dockerfile: the ENTRYPOINT names no --snapshot-blob')
  return { flags: words.slice(1, blob), entry: words[blob + 1]! }
}

/** The image's ENV (NODE_ENV), with its /app paths under `dir`. */
export function imageEnv(dir: string): Record<string, string> {
  const vars = runtime().filter((i) => i.op === 'ENV').map((i) => /^(\w+)=(\S+)$/.exec(i.args))
  return Object.fromEntries(vars.filter((m) => m !== null)
    .map((m) => [m[1]!, m[2]!.replace(/^\/app\//, `${dir}/`)]))
}

/** The node flags the image starts tsdns with (--disable-sigusr1 among them). */
export function imageNodeFlags(): string[] {
  return entrypoint().flags
}

/**
 * Builds tsdns as the image's `npm run build` does, less its type check (a work tree in the middle
 * of an edit still measures), and returns the ENTRYPOINT's snapshot blob in this checkout (made
 * by this Node, as the image makes its own with the node it runs).
 */
export function buildAsImage(): string {
  try {
    execFileSync(process.execPath, [join(root, 'src/cli/bundle.ts')], { cwd: root, stdio: 'pipe' })
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer }
    throw new Error(`the bundle failed\n${String(e.stdout ?? '')}${String(e.stderr ?? '')}`)
  }
  const main = join(root, entrypoint().entry.replace(/^\/app\//, ''))
  if (!existsSync(main)) throw new Error(`the build produced no ${main}`)
  return main
}
