// Last-resort cleanup for the harness: functions run when the test process exits or is
// interrupted (Ctrl-C, the test runner cancelling a file), so spawned servers and temp dirs do
// not outlive a test that failed before its own cleanup. After a signal the cleanup runs and
// the signal is re-raised, so the process still dies of it. (SIGKILL cannot be caught.)

const tasks = new Set<() => void>()
let hooked = false

function runAll(): void {
  for (const t of [...tasks]) {
    try {
      t()
    } catch {
      // best effort: keep cleaning the rest
    }
  }
  tasks.clear()
}

/** Registers a synchronous cleanup; returns a function that unregisters it. */
export function onCleanup(task: () => void): () => void {
  if (!hooked) {
    hooked = true
    process.once('exit', runAll)
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(sig, () => {
        runAll()
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig)
      })
    }
  }
  tasks.add(task)
  return () => tasks.delete(task)
}
