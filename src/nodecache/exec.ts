// Runs the host's networking tools (ip, iptables) without a shell and with a hard timeout, and
// hands back the exit code and output instead of throwing: callers decide what a failure means.

import { execFile } from 'node:child_process'

export interface ToolResult {
  /** Exit code; -1 when the tool could not be run or was killed by the timeout. */
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** iptables waits up to 5 s for the xtables lock (-w 5); leave room for that. */
const TIMEOUT_MS = 10_000

export function runTool(cmd: string, args: readonly string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err === null) return resolve({ code: 0, stdout, stderr })
      const code = typeof err.code === 'number' ? err.code : -1
      resolve({ code, stdout, stderr: stderr.trim() || err.message })
    })
  })
}

/** The tool's own words for a failure, for logs and errors. */
export function describeFailure(cmd: string, args: readonly string[], r: ToolResult): string {
  return `${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit code ${r.code}`}`
}
