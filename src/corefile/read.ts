// Reading a Corefile or an imported file within MAX_FILE_BYTES (or another file a plugin reads,
// within its own limit): only a regular file, checked with fstat on the descriptor that is then
// read (no stat-then-open race), and never more than the limit plus one byte read (a file that
// grows after fstat is caught too). The open does not block: a FIFO with no writer would hang
// `open` itself (or, async, a libuv thread). Standard input (`-conf stdin`) is a pipe, so it is
// read as it is, under the same limit.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs'
import { open } from 'node:fs/promises'
import { MAX_FILE_BYTES, size } from './limits.ts'

/** A file that tsdns will not read as a Corefile; `code` EISDIR for a directory, as node:fs. */
export class UnreadableFile extends Error {
  readonly code: 'EISDIR' | 'ENOTREG' | 'EFBIG'
  constructor(code: UnreadableFile['code'], message: string) {
    super(message)
    this.name = 'UnreadableFile'
    this.code = code
  }
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY

/** The text of a regular file of at most `max` bytes; throws UnreadableFile, or as node:fs. */
export function readBounded(file: string, max = MAX_FILE_BYTES): string {
  const fd = openSync(file, OPEN_FLAGS)
  try {
    const stats = fstatSync(fd)
    checkFile(stats, max)
    return readAll(fd, max, stats.size)
  } finally {
    closeSync(fd)
  }
}

/** readBounded without blocking the event loop (a plugin's file, re-read while serving). */
export async function readBoundedAsync(file: string, max: number): Promise<string> {
  const handle = await open(file, OPEN_FLAGS)
  try {
    const stats = await handle.stat()
    checkFile(stats, max)
    let buf: Buffer = Buffer.allocUnsafe(Math.min(stats.size, max) + 1)
    let length = 0
    for (let n = -1; n !== 0; length += n) {
      if (length === buf.length && (buf = grown(buf, length, max)).length === length) break
      n = (await handle.read(buf, length, buf.length - length, null)).bytesRead
    }
    return text(buf, length, max)
  } finally {
    await handle.close()
  }
}

/** Standard input, to its end, of at most MAX_FILE_BYTES. */
export function readStdinBounded(): string {
  return readAll(0, MAX_FILE_BYTES, 64 * 1024)
}

function checkFile(stats: Stats, max: number): void {
  if (!stats.isFile()) {
    if (stats.isDirectory()) throw new UnreadableFile('EISDIR', 'is a directory')
    throw new UnreadableFile('ENOTREG', `not a regular file (${kind(stats)})`)
  }
  if (stats.size > max) throw tooLarge(max)
}

/**
 * Reads to the end, at most max + 1 bytes; the buffer starts at `expected` + 1 (fstat's size:
 * a hosts file re-read every few seconds must not cost its 16 MiB limit each time).
 */
function readAll(fd: number, max: number, expected: number): string {
  let buf: Buffer = Buffer.allocUnsafe(Math.min(expected, max) + 1)
  let length = 0
  for (let n = -1; n !== 0; length += n) {
    if (length === buf.length && (buf = grown(buf, length, max)).length === length) break
    n = readSync(fd, buf, length, buf.length - length, null)
  }
  return text(buf, length, max)
}

/** `buf` (full, `length` bytes) in one twice as large, up to max + 1: the same one at that size. */
function grown(buf: Buffer, length: number, max: number): Buffer {
  if (length > max) return buf
  const more = Buffer.allocUnsafe(Math.min(2 * length, max + 1))
  buf.copy(more, 0, 0, length)
  return more
}

function text(buf: Buffer, length: number, max: number): string {
  if (length > max) throw tooLarge(max)
  return buf.toString('utf8', 0, length)
}

function tooLarge(max: number): UnreadableFile {
  return new UnreadableFile('EFBIG', `larger than ${size(max)}, the limit for this file`)
}

function kind(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO'
  if (s.isCharacterDevice()) return 'a character device'
  if (s.isBlockDevice()) return 'a block device'
  if (s.isSocket()) return 'a socket'
  return 'not a file'
}
