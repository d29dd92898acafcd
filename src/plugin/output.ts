// stdout and stderr as tsdns writes them: output is never fatal and never an unbounded queue.
// An 'error' on process.stdout without a listener kills Node (EPIPE once `tsdns | head` has
// read enough, ENOSPC on a full disk, EBADF on a closed descriptor): here each stream has one, and
// a write that fails counts its lines as dropped. Pipes are non-blocking in Node on Linux, so a
// log reader that stops reading leaves the bytes queued in this process: past BACKLOG_LIMIT the
// lines are dropped instead. Both count in tsdns_shed_total{bound="log_lines"}; the next line
// that gets through is preceded by a note of how many were lost.

import { shedCounter } from './metrics.ts'

/**
 * Bytes a stream may hold unwritten before lines are dropped: about 3 s of query logs at
 * 10,000 queries/s (~120 bytes a line), for a log reader that pauses. Measured under a logged
 * flood with nobody reading: RSS +33 MiB at 4 MiB, +66 MiB at 16 MiB (over the 64 MiB budget).
 */
const BACKLOG_LIMIT = 4 << 20

const shedLines = shedCounter('log_lines')

type Stream = NodeJS.WritableStream & { readonly writableLength: number; readonly destroyed: boolean }

class Output {
  readonly #open: () => Stream
  #stream: Stream | undefined
  #dropped = 0

  /**
   * The stream is taken by take(), not when this module loads: a start from the V8 snapshot
   * (src/cli/snapshot.ts) gets a process.stdout of its own, not the one of the build.
   */
  constructor(open: () => Stream) {
    this.#open = open
  }

  /**
   * Takes the stream and makes its errors non-fatal, for every writer of it (the CLI writes
   * its banner straight to process.stdout): the CLI calls this first thing.
   */
  take(): Stream {
    return (this.#stream ??= this.#listen(this.#open()))
  }

  /** Writes `text` (`lines` newline-ended lines), or drops and counts them. */
  write(text: string, lines: number): void {
    const s = this.take()
    if (s.destroyed || s.writableLength > BACKLOG_LIMIT) {
      this.#drop(lines)
      return
    }
    if (this.#dropped > 0) {
      text = `[WARNING] ${this.#dropped} log lines dropped: output is not keeping up or was closed\n${text}`
      this.#dropped = 0
    }
    s.write(text, (err) => {
      if (err) this.#drop(lines)
    })
  }

  #listen(stream: Stream): Stream {
    // the write's callback counts what failed; the listener only keeps the error from being fatal
    stream.on('error', () => {})
    return stream
  }

  #drop(lines: number): void {
    this.#dropped += lines
    shedLines.value += lines
  }
}

export const stdout = new Output(() => process.stdout)
