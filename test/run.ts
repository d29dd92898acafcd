// The two test suites. `node test/run.ts` (npm test) runs every test file that needs only Node
// and npm; `node test/run.ts system` (npm run test:system) runs the ones listed in
// system-tests.txt, which need root or Debian's tools, after a preflight that names whatever is
// missing and the package that brings it. Both hand the files to Node's test runner.

import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, globSync, readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'

const root = join(import.meta.dirname, '..')
const suite = process.argv[2] ?? 'unit'
if (suite !== 'unit' && suite !== 'system') {
  console.error(`usage: node test/run.ts [unit|system]`)
  process.exit(2)
}

const system = readFileSync(join(root, 'test/system-tests.txt'), 'utf8').split('\n')
  .map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
const missingFiles = system.filter((f) => !existsSync(join(root, f)))
if (missingFiles.length > 0) {
  console.error(`test/system-tests.txt lists files that do not exist: ${missingFiles.join(', ')}`)
  process.exit(2)
}

/** Each tool the system tests run, and the Debian package that has it. */
const TOOLS: ReadonlyArray<readonly [string, string]> = [
  ['dig', 'bind9-dnsutils'], ['kdig', 'knot-dnsutils'], ['unbound', 'unbound'],
  ['dnsmasq', 'dnsmasq-base'], ['promtool', 'prometheus'], ['ip', 'iproute2'],
  ['iptables', 'iptables'], ['openssl', 'openssl'], ['curl', 'curl'], ['chromium', 'chromium'],
]

function onPath(tool: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin'])
  return dirs.some((d) => {
    try {
      accessSync(join(d, tool), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

function preflight(): boolean {
  const missing = TOOLS.filter(([tool]) => !onPath(tool))
  const root_ = process.getuid?.() === 0
  if (missing.length === 0 && root_) return true
  console.error('npm run test:system cannot run here:')
  if (missing.length > 0) {
    console.error(`  missing: ${missing.map(([t]) => t).join(', ')}`)
    console.error(`  install: apt-get install -y --no-install-recommends ${[...new Set(missing.map(([, p]) => p))].join(' ')}`)
  }
  if (!root_) console.error('  not root: the node setup tests make network namespaces and iptables rules')
  return false
}

const all = globSync(['src/**/*.test.ts', 'plugins/**/*.test.ts', 'test/**/*.test.ts'], { cwd: root })
  .filter((f) => !f.includes('node_modules')).sort()
const files = suite === 'system' ? system : all.filter((f) => !system.includes(f))
if (suite === 'system' && !preflight()) process.exit(1)
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit' })
process.exit(r.status ?? 1)
