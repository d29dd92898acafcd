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

let sink: Sink = (line) => process.stdout.write(line + '\n')
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

export function logger(plugin?: string): Logger {
  const prefix = plugin ? `plugin/${plugin}: ` : ''
  return {
    debug: (m) => logLine('DEBUG', prefix + m),
    info: (m) => logLine('INFO', prefix + m),
    warning: (m) => logLine('WARNING', prefix + m),
    error: (m) => logLine('ERROR', prefix + m),
  }
}
