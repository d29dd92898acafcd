// Paths a file reader must refuse quickly and without growing memory (issue 14): /dev/zero never
// ends, a FIFO with no writer blocks open() (and a blocking read for ever), and a regular file one
// byte over the reader's limit (sparse: its size is all that matters to the reader).

import { execFileSync } from 'node:child_process'
import { truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface HostileFile {
  readonly what: string
  readonly path: string
  /** What the refusal says (src/corefile/read.ts's messages). */
  readonly error: RegExp
}

/** The three, made in `dir` (a fresh name each call); `max` is the reader's limit in bytes. */
export function hostileFiles(dir: string, max: number): HostileFile[] {
  const tag = `${process.pid}-${made++}`
  const fifo = join(dir, `fifo-${tag}`)
  execFileSync('mkfifo', [fifo])
  const big = join(dir, `big-${tag}`)
  writeFileSync(big, '')
  truncateSync(big, max + 1)
  return [
    { what: '/dev/zero', path: '/dev/zero', error: /not a regular file \(a character device\)/ },
    { what: 'a FIFO', path: fifo, error: /not a regular file \(a FIFO\)/ },
    { what: 'an oversized file', path: big, error: /larger than/ },
  ]
}

let made = 0

/** Bytes the process's resident set grew by while `fn` ran (a bound on what `fn` kept or read). */
export async function rssGrowth(fn: () => unknown): Promise<number> {
  const before = process.memoryUsage.rss()
  await fn()
  return process.memoryUsage.rss() - before
}

/** A generous bound for rssGrowth: a refused read allocates at most its limit plus one byte. */
export const MAX_REFUSAL_GROWTH = 64 << 20
