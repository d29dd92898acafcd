// Temporary directories for one test run: made under the OS temp dir, removed by the helper that
// made them, and swept at process exit in case a test forgot (or crashed before) its cleanup.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onCleanup } from './cleanup.ts'

const live = new Map<string, () => void>()

/** A fresh private directory (mode 0700) whose name starts with `tsdns-<prefix>-`. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tsdns-${prefix}-`))
  live.set(dir, onCleanup(() => rmSync(dir, { recursive: true, force: true })))
  return dir
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  live.get(dir)?.()
  live.delete(dir)
}
