// Every Corefile the project has, for `npm run compat`: corefiles/, the test fixtures, the
// Corefile blocks of the plugin READMEs, the one-line cases, and the cases of issue 15.

import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { ONELINE_CASES, WHOLE_CASES } from '../fixtures/oneline/cases.ts'
import { onelineCorefile } from './record-oneline.ts'

export interface Source {
  /** Where it comes from (path, README#n or case name). */
  readonly name: string
  readonly text: string
  /** The directory its relative paths (hosts files, imports) are read from. */
  readonly dir: string
}

const ROOT = resolve(import.meta.dirname, '../..')

/** Issue 15's points that no other source covers. */
const ISSUE_15: Readonly<Record<string, string>> = {
  'issue 15: empty Corefile': '',
  'issue 15: only comments': '# nothing\n\n',
  'issue 15: errors on one line': '.:53 {\n    errors { stacktrace }\n    whoami\n}\n',
  'issue 15: template on one line':
    'example.org:53 {\n    template IN MX example.org { rcode NXDOMAIN }\n    template IN A example.org { answer "{{ .Name }} 60 IN A 192.0.2.1" }\n}\n',
  'issue 15: server block on one line': '.:53 { whoami }\n',
}

export function allSources(): Source[] {
  const files = (dir: string, test: (f: string) => boolean): Source[] =>
    readdirSync(join(ROOT, dir))
      .filter(test)
      .sort()
      .map((f) => ({ name: join(dir, f), text: readFileSync(join(ROOT, dir, f), 'utf8'), dir: join(ROOT, dir) }))
  const corefile = (f: string) => f.endsWith('Corefile')
  return [
    ...files('corefiles', corefile),
    ...files('test/fixtures/realworld', corefile),
    ...readmeBlocks(),
    ...Object.entries(ONELINE_CASES).map(([name, body]) => ({
      name: `oneline: ${name}`,
      text: onelineCorefile(body, 53),
      dir: ROOT,
    })),
    ...Object.entries(WHOLE_CASES).map(([name, text]) => ({ name: `oneline: ${name}`, text, dir: ROOT })),
    ...Object.entries(ISSUE_15).map(([name, text]) => ({ name, text, dir: ROOT })),
  ]
}

/**
 * The `~~~ corefile` blocks of plugins/NAME/README.md: the examples, as in CoreDNS's READMEs.
 * `~~~ txt` blocks are syntax summaries (`health [ADDRESS] {`), which no server is meant to start.
 */
function readmeBlocks(): Source[] {
  const out: Source[] = []
  for (const plugin of readdirSync(join(ROOT, 'plugins')).sort()) {
    const readme = join(ROOT, 'plugins', plugin, 'README.md')
    let text: string
    try {
      text = readFileSync(readme, 'utf8')
    } catch {
      continue
    }
    let n = 0
    for (const [, body] of text.matchAll(/^(?:```|~~~) *corefile\s*\n([^]*?)^(?:```|~~~)/gm)) {
      out.push({ name: `${relative(ROOT, readme)}#${++n}`, text: body!.trim() + '\n', dir: join(ROOT, 'plugins', plugin) })
    }
  }
  return out
}
