// manifests/Dockerfile read as data: no container engine runs here, so the tests check what it
// says (test/manifests.test.ts) and rebuild what it builds (test/image.test.ts) from its text.

import assert from 'node:assert/strict'

export interface Stage {
  readonly from: string
  readonly name: string
  readonly instructions: readonly { op: string; args: string }[]
}

/** FROM-separated stages with their instructions (continuation lines joined, comments dropped). */
export function stages(text: string): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>()
  const out: { from: string; name: string; instructions: { op: string; args: string }[] }[] = []
  const joined = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  for (const line of joined) {
    const [op, ...rest] = line.split(/\s+/)
    const body = rest.join(' ')
    if (op === 'FROM') {
      const m = /^(\S+)\s+AS\s+(\S+)$/i.exec(body)
      assert.ok(m, `FROM names its stage: ${line}`)
      out.push({ from: m[1]!.replace(/^\$\{(\w+)\}$/, (_, v: string) => args.get(v) ?? v), name: m[2]!,
        instructions: [] })
    } else if (op === 'ARG' && out.length === 0) {
      const [k, v] = body.split('=')
      args.set(k!, v ?? '')
    } else {
      assert.ok(out.length > 0, `${op} before any FROM`)
      out.at(-1)!.instructions.push({ op: op!, args: body })
    }
  }
  return { args, stages: out }
}
