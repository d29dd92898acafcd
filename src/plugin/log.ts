// CoreDNS's log line format: `[LEVEL] plugin/<name>: message`. Output goes to stdout like CoreDNS,
// through output.ts: a line that cannot be written is dropped and counted, never fatal. Tests
// silence it with setLogSink.

import { stdout } from './output.ts'

export type Level = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'FATAL'

export interface Logger {
  debug(msg: string): void
  info(msg: string): void
  warning(msg: string): void
  error(msg: string): void
}

type Sink = (line: string) => void

const stdoutSink: Sink = (line) => stdout.write(line + '\n', 1)
let sink: Sink = stdoutSink
let debugOn = false

export function setLogSink(s: Sink): void {
  sink = s
}

export function setDebug(on: boolean): void {
  debugOn = on
}

export function isDebug(): boolean {
  return debugOn
}

export function logLine(level: Level, msg: string): void {
  if (level === 'DEBUG' && !debugOn) return
  sink(`[${level}] ${msg}`)
}

/** Many lines of one level at once (query logs): one stdout write per batch. A test sink sees them
 *  one by one. */
export function logLines(level: Level, msgs: readonly string[]): void {
  if (msgs.length === 0 || (level === 'DEBUG' && !debugOn)) return
  if (sink !== stdoutSink) {
    for (const m of msgs) sink(`[${level}] ${m}`)
    return
  }
  stdout.write(`[${level}] ${msgs.join(`\n[${level}] `)}\n`, msgs.length)
}

export function logger(plugin?: string): Logger {
  const prefix = plugin ? `plugin/${plugin}: ` : ''
  return {
    debug: (m) => logLine('DEBUG', prefix + m),
    info: (m) => logLine('INFO', prefix + m),
    warning: (m) => logLine('WARNING', prefix + m),
    error: (m) => logLine('ERROR', prefix + m),
  }
}
