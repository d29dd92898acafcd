// CoreDNS's log line format: `[LEVEL] plugin/<name>: message`. Output goes to stdout like CoreDNS;
// tests silence it with setLogSink.

export type Level = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'FATAL'

export interface Logger {
  debug(msg: string): void
  info(msg: string): void
  warning(msg: string): void
  error(msg: string): void
}

type Sink = (line: string) => void

const stdoutSink: Sink = (line) => process.stdout.write(line + '\n')
let sink: Sink = stdoutSink
let debugOn = false
/** Bytes stdout may hold unwritten before batched lines are dropped (a stalled log reader). */
const BACKLOG_LIMIT = 16 << 20
let droppedLines = 0

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

/**
 * Many lines of one level at once (query logs): one stdout write per batch, and dropped rather
 * than queued without bound when stdout stopped draining. A test sink sees them one by one.
 */
export function logLines(level: Level, msgs: readonly string[]): void {
  if (msgs.length === 0 || (level === 'DEBUG' && !debugOn)) return
  if (sink !== stdoutSink) {
    for (const m of msgs) sink(`[${level}] ${m}`)
    return
  }
  if (process.stdout.writableLength > BACKLOG_LIMIT) {
    droppedLines += msgs.length
    return
  }
  if (droppedLines > 0) {
    process.stdout.write(`[WARNING] ${droppedLines} log lines dropped: stdout is not keeping up\n`)
    droppedLines = 0
  }
  process.stdout.write(`[${level}] ${msgs.join(`\n[${level}] `)}\n`)
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
