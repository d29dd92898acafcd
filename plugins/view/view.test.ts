import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import { after, describe, test } from 'node:test'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { errorsOf } from '../../src/corefile/fixtures.test.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import { Instance } from '../../src/server/instance.ts'
import { ListenerPool } from '../../src/server/listeners.ts'
import { answerData, buildQuery, decode, freePort, rcodeName, tcpQuery, udpQuery } from '../../test/helpers/index.ts'

/** The log plugin's lines, for the metadata tests. */
const logged: string[] = []
setLogSink((line) => void logged.push(line))

function build(text: string): Instance {
  const { blocks } = loadCorefile({ file: 'Corefile', text })
  return Instance.build(blocks, { defaultPort: 53, dir: '.' })
}

function fails(text: string): CorefileError {
  return errorsOf(() => build(text))[0]!
}

describe('parse', () => {
  const cases: Array<[string, string, number, number, RegExp]> = [
    ['view', 'COREFILE_ARGS', 2, 1, /wrong argument count/],
    ['view a b', 'COREFILE_ARGS', 2, 8, /wrong argument count/],
    ['view a {\nfilter x\n}', 'COREFILE_UNKNOWN', 3, 1, /unknown property 'filter'/],
    ['view a {\nexpr type() == 1\n}', 'COREFILE_VALUE', 3, 13, /^invalid operation: == \(mismatched types string and int\)$/],
    ['view a {\nexpr foo()\n}', 'COREFILE_VALUE', 3, 6, /^unknown name foo$/],
    ["view a {\nexpr name() matches '('\n}", 'COREFILE_VALUE', 3, 13, /^error parsing regexp/],
    ['view a\nview b', 'COREFILE_SYNTAX', 3, 1, /only be used once per Server Block/],
  ]
  for (const [body, code, line, col, re] of cases) {
    test(body.replace(/\n/g, ' '), () => {
      const e = fails(`. {\n${body}\nwhoami\n}\n`)
      assert.deepEqual([e.code, e.line, e.col], [code, line, col], e.message)
      assert.match(e.detail, re)
    })
  }

  test('two blocks with one key still clash unless one has a view', () => {
    const e = fails('. {\nwhoami\n}\n. {\nwhoami\n}\n')
    assert.match(e.detail, /cannot serve dns:\/\/\.:53 - it is already defined/)
    assert.deepEqual(build('. {\nview a\nwhoami\n}\n. {\nwhoami\n}\n').describe(), ['.:53'])
  })
})

const pool = new ListenerPool()
after(() => pool.closeAll())

/** Serves `corefile` (PORT replaced by a free port) on real sockets. */
async function serve(corefile: string): Promise<number> {
  const port = await freePort('both')
  await pool.apply(build(corefile.replaceAll('PORT', String(port))).servers)
  return port
}

/** One UDP query from `source` (any 127/8 address is ours on loopback). */
function queryFrom(source: string, port: number, q: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4')
    const guard = setTimeout(() => done(undefined), 2000)
    const done = (r: Buffer | undefined): void => {
      clearTimeout(guard)
      sock.close()
      resolve(r)
    }
    sock.on('message', (m) => done(m))
    sock.bind(0, source, () => sock.send(q, port, '127.0.0.1'))
  })
}

describe('blocks chosen by view, first passing wins (CoreDNS server.go)', () => {
  const split = `. {
  view lan {
    expr incidr(client_ip(), '127.0.0.2/32')
  }
  template IN A test {
    answer "test. 60 IN A 2.2.2.2"
  }
}
. {
  view mx {
    expr type() in ['MX']
  }
  template IN MX test {
    answer "test. 60 IN MX 10 mx.test."
  }
}
. {
  template IN A test {
    answer "test. 60 IN A 3.3.3.3"
  }
}
example.org:PORT {
  view tcp-only {
    expr proto() == 'tcp'
  }
  whoami
}
`.replaceAll('. {', '.:PORT {')

  test('by client address, by type, else the block without a view', async () => {
    const port = await serve(split)
    const a = (r: Buffer | undefined) => (r ? answerData(r).join() : 'no answer')
    assert.equal(a(await queryFrom('127.0.0.2', port, buildQuery('test.'))), '2.2.2.2')
    assert.equal(a(await queryFrom('127.0.0.3', port, buildQuery('test.'))), '3.3.3.3')
    const mx = await udpQuery('127.0.0.1', port, buildQuery('test.', 'MX'))
    assert.ok(mx && decode(mx).answers?.[0]?.type === 'MX')
  })

  test('a zone whose views all fail is skipped: the walk goes on to the parent, then REFUSED', async () => {
    const port = await serve(split)
    // example.org. has only a tcp view; over UDP the query walks on to '.', whose catch-all
    // template serves only test.: SERVFAIL (no next plugin), not example.org.'s whoami
    const udp = await udpQuery('127.0.0.1', port, buildQuery('example.org.'))
    assert.equal(udp && rcodeName(udp), 'SERVFAIL')
    const tcp = await tcpQuery('127.0.0.1', port, buildQuery('example.org.'))
    assert.ok(tcp && decode(tcp).additionals?.some((r) => r.type === 'A'), 'whoami over TCP')

    const only = await serve("example.org:PORT {\nview v {\nexpr proto() == 'tcp'\n}\nwhoami\n}\n")
    const refused = await udpQuery('127.0.0.1', only, buildQuery('example.org.'))
    assert.equal(refused && rcodeName(refused), 'REFUSED')
  })
})

describe('with metadata: view/name, and metadata() in expressions (CoreDNS collects first)', () => {
  // Each block logs its letter, the view/name label and the name: the same lines as CoreDNS
  // 1.14.7 gives for this Corefile (run side by side)
  const blocks = `.:PORT {
  metadata example.org
  view v1 {
    expr name() == 'a.example.org.' || name() == 'b.'
  }
  log . "A {/view/name} {name}"
  whoami
}
.:PORT {
  metadata
  view v2 {
    expr metadata('view/name') == 'v2' && name() != 'c.' && metadata('nope/x') == ''
  }
  log . "B {/view/name} {name}"
  whoami
}
.:PORT {
  log . "C {/view/name} {name}"
  whoami
}
`

  test('the label is set in metadata zones; a failed view leaves it for a block without metadata', async () => {
    const port = await serve(blocks)
    logged.length = 0
    for (const name of ['a.example.org.', 'b.', 'c.', 'd.']) {
      assert.ok(await udpQuery('127.0.0.1', port, buildQuery(name)), name)
    }
    assert.deepEqual(logged, [
      '[INFO] A v1 a.example.org.', // in metadata's zones
      '[INFO] A - b.', // outside them: no provider runs
      '[INFO] C v2 c.', // v2's filter collected, then failed: C has no metadata of its own
      '[INFO] B v2 d.', // metadata('view/name') is the view's own name while it filters
    ])
  })
})
