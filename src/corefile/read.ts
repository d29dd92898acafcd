// Reading a Corefile or an imported file within MAX_FILE_BYTES: only a regular file, checked with
// fstat on the descriptor that is then read (no stat-then-open race), and never more than the
// limit plus one byte read (a file that grows after fstat is caught too). The open does not block:
// a FIFO with no writer would hang `open` itself. Standard input (`-conf stdin`) is a pipe, so it
// is read as it is, under the same limit.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs'
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

/** The text of a regular file of at most MAX_FILE_BYTES; throws UnreadableFile, or as node:fs. */
export function readBounded(file: string): string {
  const fd = openSync(file, OPEN_FLAGS)
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) {
      if (stats.isDirectory()) throw new UnreadableFile('EISDIR', 'is a directory')
      throw new UnreadableFile('ENOTREG', `not a regular file (${kind(stats)})`)
    }
    if (stats.size > MAX_FILE_BYTES) throw tooLarge()
    return readAll(fd)
  } finally {
    closeSync(fd)
  }
}

/** Standard input, to its end, of at most MAX_FILE_BYTES. */
export function readStdinBounded(): string {
  return readAll(0)
}

function readAll(fd: number): string {
  const buf = Buffer.allocUnsafe(MAX_FILE_BYTES + 1)
  let length = 0
  for (let n = -1; n !== 0 && length < buf.length; length += n) {
    n = readSync(fd, buf, length, buf.length - length, null)
  }
  if (length > MAX_FILE_BYTES) throw tooLarge()
  return buf.toString('utf8', 0, length)
}

function tooLarge(): UnreadableFile {
  return new UnreadableFile('EFBIG', `larger than ${size(MAX_FILE_BYTES)}, the limit for a file`)
}

function kind(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO'
  if (s.isCharacterDevice()) return 'a character device'
  if (s.isBlockDevice()) return 'a block device'
  if (s.isSocket()) return 'a socket'
  return 'not a file'
}
