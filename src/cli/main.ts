#!/usr/bin/env node
// tsdns's entry point. It turns on Node's compile cache (V8's code for each module, kept on disk)
// before anything else loads, so that a start compiles none of them again. The directory is
// NODE_COMPILE_CACHE's, else one under os.tmpdir(); when it cannot be used (a read-only
// filesystem) Node runs without it: enableCompileCache reports that in its result, never throws.

import { enableCompileCache } from 'node:module'

enableCompileCache()
const { run } = await import('./cli.ts')
run(process.argv.slice(2))
