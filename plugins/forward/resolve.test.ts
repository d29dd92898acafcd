// Hostname TOs: resolved once by prepare() (before the configuration serves) through `resolver`
// servers or the system's resolver; one that cannot be resolved fails prepare. A stanza served
// unprepared answers SERVFAIL saying so.

import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import { after, before, test } from 'node:test'
import { loadCorefile } from '../../src/corefile/load.ts'
import { logger, setLogSink } from '../../src/plugin/log.ts'
import { PluginError } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import { answer, answerData, fakeUpstream, nxdomain, type FakeHandler, type FakeUpstream }
  from '../../test/helpers/index.ts'
import { Forward } from './forward.ts'
import { chain, parseForward } from './setup.ts'

const running: Forward[] = []
const fakes: FakeUpstream[] = []
before(() => setLogSink(() => {}))
after(async () => {
  for (const f of running) f.stop()
  await Promise.all(fakes.map((u) => u.close()))
})

async function fake(handler: FakeHandler): Promise<FakeUpstream> {
  const u = await fakeUpstream(handler)
  fakes.push(u)
  return u
}

/** A forward stanza built but not started. */
function stanza(body: string): Forward {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  const directives = blocks[0]!.directives.filter((d) => d.name.text === 'forward')
  const f = new Forward(parseForward(directives, { dir: '.', log: logger('forward') })[0]!)
  running.push(f)
  return f
}

async function serve(f: Forward): Promise<{ w: Recorder; err?: PluginError }> {
  const w = new Recorder()
  try {
    await chain([f], undefined).serveDNS(testContext, w, request('www.example.org'))
    return { w }
  } catch (err) {
    if (!(err instanceof PluginError)) throw err
    return { w, err }
  }
}

async function closedPort(): Promise<number> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))
  const port = s.address().port
  s.close()
  return port
}

test('resolver: A and AAAA asked in turn, the first server that answers wins', async () => {
    const up = await fake((q) => answer(q, [`${q.name} 60 IN A 192.0.2.7`]))
    const dead = await closedPort()
    const resolver = await fake((q) => q.name === 'up.example' && q.type === 'A'
      ? answer(q, ['up.example 60 IN A 127.0.0.1']) : answer(q, []))
    const f = stanza(`forward . up.example:${up.port} {
      resolver 127.0.0.1:${dead} 127.0.0.1:${resolver.port}
    }`)
    await f.prepare()
    f.start()
    assert.deepEqual(answerData((await serve(f)).w.wire!), ['192.0.2.7'])
    assert.deepEqual(f.proxies.map((p) => p.to), [`127.0.0.1:${up.port}`])
    assert.deepEqual(resolver.queries.map((q) => [q.name, q.type, q.rd]),
      [['up.example', 'A', true], ['up.example', 'AAAA', true]])
  })

test('an unresolvable hostname fails prepare with CoreDNS\'s message; unprepared is SERVFAIL',
  async () => {
    const resolver = await fake((q) => nxdomain(q))
    const f = stanza(`forward . nowhere.example {\nresolver 127.0.0.1:${resolver.port}\n}`)
    await assert.rejects(f.prepare(),
      /^PluginError: plugin\/forward: failed to resolve "nowhere\.example": no addresses found/)
    const r = await serve(f)
    assert.equal(r.err?.rcode, Rcode.ServFail)
    assert.equal(r.err!.message, 'plugin/forward: upstream hostnames not resolved yet')
    const dead = await closedPort()
    const refused = stanza(`forward . nowhere.example {\nresolver 127.0.0.1:${dead}\n}`)
    await assert.rejects(refused.prepare(),
      /no addresses found for "nowhere\.example": .*ECONNREFUSED/)
  })

test('without resolver: the system resolver (/etc/hosts names localhost)', async () => {
  const up = await fake((q) => answer(q, [`${q.name} 60 IN A 192.0.2.8`]))
  const f = stanza(`forward . localhost:${up.port} 127.0.0.1:${up.port} {\npolicy sequential\n}`)
  await f.prepare()
  f.start()
  assert.ok(f.proxies.some((p) => p.to === `127.0.0.1:${up.port}`))
  assert.equal(f.proxies.filter((p) => p.to === `127.0.0.1:${up.port}`).length, 1, 'deduplicated')
  assert.deepEqual(answerData((await serve(f)).w.wire!), ['192.0.2.8'])
})
