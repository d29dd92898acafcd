#!/usr/bin/env -S node --disable-sigusr1
// tsdns's entry point. SIGUSR1 is held first (signals.ts), before any other module loads. Then
// Node's compile cache (V8's code for each module, kept on disk) is turned on before the rest
// loads, so that a start compiles none of them again. The directory is NODE_COMPILE_CACHE's, else
// one under os.tmpdir(); when it cannot be used (a read-only filesystem) Node runs without it:
// enableCompileCache reports that in its result, never throws.

import { enableCompileCache } from 'node:module'
import { holdReloads } from './signals.ts'

holdReloads()
enableCompileCache()
const { run } = await import('./cli.ts')
run(process.argv.slice(2))
