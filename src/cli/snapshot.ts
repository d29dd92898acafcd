// The image's entry point: the build runs this file once (`node --build-snapshot`, see
// bundle.ts) and V8 keeps the heap it leaves, every module of tsdns loaded and evaluated, the
// Corefile parser built, in dist/tsdns.blob. `node --snapshot-blob dist/tsdns.blob -- ARGS`
// starts from that heap and calls the function below: tsdns's modules are not read, compiled or
// run again, which was most of a start (docs/sizing.md, "Start").
//
// What runs while the snapshot is built must not take anything of the process it runs in: no
// socket, timer, signal handler, stream or environment variable is touched before the function
// below (run() takes process.stdout, src/plugin/output.ts), and node:http is not loaded at all
// (bundle.ts); `snapshot.test.ts` checks that a start from the blob reads its own environment,
// clock, stdout and arguments.

import 'fastify'
import { startupSnapshot } from 'node:v8'
import { plugins } from '../../plugins/order.ts'
import { run } from './cli.ts'
import { holdReloads } from './signals.ts'

// What a start would otherwise evaluate on demand (order.ts, http.ts), evaluated here once:
// fastify's modules and every plugin's setup. Their objects stay in the snapshot's heap whether a
// Corefile uses them or not (~1 MiB). Not prom-client: its modules keep the process's start time
// as they load (process_start_time_seconds would be the build's), so it loads on first use as
// before (src/plugin/metrics.ts).
for (const setup of plugins.values()) setup()

startupSnapshot.setDeserializeMainFunction(() => {
  holdReloads()
  // a start from a snapshot has no script: the arguments follow node's own
  run(process.argv.slice(1))
})
