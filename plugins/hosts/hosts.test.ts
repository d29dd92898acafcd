import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type { Answer } from 'dns-packet'
import { loadCorefile } from '../../src/corefile/load.ts'
import { logger } from '../../src/plugin/log.ts'
import type { Handler, Hook, SetupContext } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { nextHandler, Recorder, request, testContext } from '../../test/dnstest.ts'
import { Hostsfile, MAX_HOSTS_BYTES } from './hostsfile.ts'
import { HostsHandler } from './hosts.ts'
import { entries, reloadTimestamp } from './metrics.ts'
import hostsPlugin, { parseHostsDirective } from './setup.ts'

const dir = mkdtempSync(join(tmpdir(), 'tsdns-hosts-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function config(body: string, keys = '.') {
  const text = `${keys} {\n${body}\n}\n`
  const { blocks, listenKeys } = loadCorefile({ file: 'Corefile', text })
  return parseHostsDirective(
    blocks[0]!.directives,
    listenKeys[0]!.map((k) => k.zone),
  )
}

/** A handler over inline entries (and a file, when given), next answering REFUSED. */
function hosts(
  body: string,
  keys = '.',
  file = join(dir, 'none'),
): { h: Handler; data: Hostsfile } {
  const cfg = config(body, keys)
  const data = new Hostsfile(file, cfg.inline, { origins: cfg.origins, reverse: cfg.reverse })
  return { h: new HostsHandler(data, cfg, nextHandler(Rcode.Refused)), data }
}

async function ask(h: Handler, name: string, type = 'A') {
  const w = new Recorder()
  const rcode = await h.serveDNS(testContext, w, request(name, type))
  return { rcode, msg: w.wire ? w.msg : undefined }
}

const rrs = (list: readonly Answer[] | undefined): string[] =>
  (list ?? []).map(
    (a) =>
      `${a.name} ${(a as { ttl?: number }).ttl} ${a.type} ${String((a as { data?: unknown }).data)}`,
  )

const inline = `hosts {
    10.0.0.1 api.example.org api
    10.0.0.2 api.example.org
    fd00::1 api.example.org
    192.168.1.10 web.example.org # a comment
    ::ffff:10.9.9.9 mapped.example.org
    fe80::1%eth0 link.example.org
  }`

test('A and AAAA answers: every address, authoritative, TTL 3600, owned by the lowercased name', async () => {
  const { h } = hosts(inline)
  const a = await ask(h, 'API.Example.ORG')
  assert.equal(a.rcode, Rcode.NoError)
  assert.ok(a.msg!.flag_aa)
  assert.deepEqual(rrs(a.msg!.answers), [
    'api.example.org 3600 A 10.0.0.1',
    'api.example.org 3600 A 10.0.0.2',
  ])
  assert.deepEqual(rrs((await ask(h, 'api.example.org', 'AAAA')).msg!.answers), [
    'api.example.org 3600 AAAA fd00::1',
  ])
  assert.deepEqual(rrs((await ask(h, 'api')).msg!.answers), ['api 3600 A 10.0.0.1'])
  assert.deepEqual(rrs((await ask(h, 'mapped.example.org')).msg!.answers), [
    'mapped.example.org 3600 A 10.9.9.9',
  ])
  assert.deepEqual(rrs((await ask(h, 'link.example.org', 'AAAA')).msg!.answers), [
    'link.example.org 3600 AAAA fe80::1',
  ])
})

test('PTR records are generated for every name, IPv4 and IPv6, unless no_reverse', async () => {
  const { h } = hosts(inline, 'example.org')
  // reverse names need not be in the zones
  assert.deepEqual(rrs((await ask(h, '1.0.0.10.in-addr.arpa', 'PTR')).msg!.answers), [
    '1.0.0.10.in-addr.arpa 3600 PTR api.example.org',
  ])
  const v6 = '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa'
  assert.deepEqual(rrs((await ask(h, v6, 'PTR')).msg!.answers), [`${v6} 3600 PTR api.example.org`])
  // an address nobody has, or a name that is no address: the next plugin, fallthrough or not
  assert.equal((await ask(h, '9.9.9.9.in-addr.arpa', 'PTR')).rcode, Rcode.Refused)
  assert.equal((await ask(h, '0.10.in-addr.arpa', 'PTR')).rcode, Rcode.Refused)
  const { h: plain } = hosts(inline.replace('hosts {', 'hosts {\n    no_reverse'))
  assert.equal((await ask(plain, '1.0.0.10.in-addr.arpa', 'PTR')).rcode, Rcode.Refused)
})

test('a known name of another type is NODATA; an unknown name SERVFAIL, or the next plugin', async () => {
  const { h } = hosts(inline)
  for (const [name, type] of [
    ['api.example.org', 'MX'],
    ['web.example.org', 'AAAA'],
    ['api.example.org', 'TXT'],
  ]) {
    const o = await ask(h, name!, type)
    assert.equal(o.rcode, Rcode.NoError, `${name} ${type}`)
    assert.ok(o.msg!.flag_aa)
    assert.deepEqual(o.msg!.answers, [])
    assert.deepEqual(o.msg!.authorities, [])
  }
  const unknown = await ask(h, 'nope.example.org')
  assert.deepEqual([unknown.rcode, unknown.msg], [Rcode.ServFail, undefined])
  const { h: open } = hosts(inline.replace('\n  }', '\n    fallthrough\n  }'))
  assert.equal((await ask(open, 'nope.example.org')).rcode, Rcode.Refused)
  assert.equal((await ask(open, 'nope.example.org', 'MX')).rcode, Rcode.Refused)
  assert.equal((await ask(open, 'api.example.org', 'MX')).rcode, Rcode.NoError)
})

test('fallthrough for some zones only, and names outside the zones', async () => {
  // the first argument is the file: ZONES come after it
  const { h } = hosts(`hosts none.hosts example.org {
    10.0.0.1 a.example.org
    10.0.0.9 outside.example.com
    fallthrough sub.example.org
  }`)
  assert.equal((await ask(h, 'x.example.org')).rcode, Rcode.ServFail)
  assert.equal((await ask(h, 'x.sub.example.org')).rcode, Rcode.Refused)
  // outside the plugin's zones: the next plugin, and entries there were never loaded
  assert.equal((await ask(h, 'outside.example.com')).rcode, Rcode.Refused)
  assert.equal((await ask(h, '9.0.0.10.in-addr.arpa', 'PTR')).rcode, Rcode.Refused)
})

test('fallthrough_unsupported passes other types of known names on', async () => {
  const { h } = hosts(`hosts {
    10.0.0.1 a.example.org
    fallthrough
    fallthrough_unsupported
  }`)
  assert.equal((await ask(h, 'a.example.org', 'TXT')).rcode, Rcode.Refused)
  // AAAA is a type hosts answers: still NODATA
  assert.equal((await ask(h, 'a.example.org', 'AAAA')).rcode, Rcode.NoError)
  assert.deepEqual(rrs((await ask(h, 'a.example.org')).msg!.answers), [
    'a.example.org 3600 A 10.0.0.1',
  ])
})

test('wildcards cover exactly one label, exact names win, and get no PTR', async () => {
  const { h } = hosts(`hosts {
    192.168.1.10 *.example.com
    192.168.1.11 a.example.com
    fd00::10 *.example.com
  }`)
  assert.deepEqual(rrs((await ask(h, 'a.example.com')).msg!.answers), [
    'a.example.com 3600 A 192.168.1.11',
  ])
  assert.deepEqual(rrs((await ask(h, 'apps.example.com')).msg!.answers), [
    'apps.example.com 3600 A 192.168.1.10',
  ])
  assert.deepEqual(rrs((await ask(h, 'apps.example.com', 'AAAA')).msg!.answers), [
    'apps.example.com 3600 AAAA fd00::10',
  ])
  assert.equal((await ask(h, 'example.com')).rcode, Rcode.ServFail)
  assert.equal((await ask(h, 'deep.apps.example.com')).rcode, Rcode.ServFail)
  assert.equal((await ask(h, '10.1.168.192.in-addr.arpa', 'PTR')).rcode, Rcode.Refused)
})

test('ttl option', async () => {
  const { h } = hosts('hosts {\n 10.0.0.1 a.example\n ttl 30\n}')
  assert.deepEqual(rrs((await ask(h, 'a.example')).msg!.answers), ['a.example 30 A 10.0.0.1'])
})

test('file entries come first, then inline ones; the file is re-read when it changes', async () => {
  const file = join(dir, 'hosts-combined')
  writeFileSync(file, '# file\n10.1.1.1 both.example\n10.1.1.2 file.example\n')
  const { h, data } = hosts('hosts {\n 10.2.2.2 both.example\n}', '.', file)
  await data.read()
  assert.deepEqual(rrs((await ask(h, 'both.example')).msg!.answers), [
    'both.example 3600 A 10.1.1.1',
    'both.example 3600 A 10.2.2.2',
  ])
  assert.deepEqual(rrs((await ask(h, '2.1.1.10.in-addr.arpa', 'PTR')).msg!.answers), [
    '2.1.1.10.in-addr.arpa 3600 PTR file.example',
  ])
  // file + inline, each address and each reverse entry counted (CoreDNS's Len)
  assert.equal(entries.child({ hostsfile: file }).value, 4 + 2)

  writeFileSync(file, '10.1.1.3 new.example\n')
  utimesSync(file, new Date(), new Date(Date.now() + 5000))
  await data.read()
  assert.deepEqual(rrs((await ask(h, 'new.example')).msg!.answers), ['new.example 3600 A 10.1.1.3'])
  assert.equal((await ask(h, 'file.example')).rcode, Rcode.ServFail)
  assert.deepEqual(rrs((await ask(h, 'both.example')).msg!.answers), [
    'both.example 3600 A 10.2.2.2',
  ])
  assert.equal(entries.child({ hostsfile: file }).value, 2 + 2)
  assert.ok(Math.abs(reloadTimestamp.child({}).value - (Date.now() + 5000) / 1000) < 2)

  // a file that disappears keeps its last entries
  rmSync(file)
  await data.read()
  assert.equal((await ask(h, 'new.example')).rcode, Rcode.NoError)
})

test('setup reads the file at startup and re-reads it every reload interval until shutdown', async () => {
  const file = join(dir, 'hosts-reload')
  writeFileSync(file, '10.3.3.1 r.example\n')
  const startup: Hook[] = []
  const shutdown: Hook[] = []
  const warnings: string[] = []
  const ctx = {
    zones: ['.'],
    dir,
    log: { ...logger('hosts'), warning: (m: string) => warnings.push(m) },
    onStartup: (fn: Hook) => startup.push(fn),
    onShutdown: (fn: Hook) => shutdown.push(fn),
  } as unknown as SetupContext
  const { blocks } = loadCorefile({
    file: 'Corefile',
    text: `. {\n hosts hosts-reload {\n  reload 20ms\n }\n}\n`,
  })
  const link = hostsPlugin.setup(hostsPlugin.parse(blocks[0]!.directives, ctx), ctx)!
  const h = link(nextHandler(Rcode.Refused), { server: 'dns://:53', zones: ['.'] })
  try {
    for (const fn of startup) await fn()
    assert.deepEqual(rrs((await ask(h, 'r.example')).msg!.answers), ['r.example 3600 A 10.3.3.1'])
    writeFileSync(file, '10.3.3.2 r.example\n10.3.3.3 r.example\n')
    let answers: string[] = []
    for (let i = 0; i < 100 && answers.length !== 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      answers = rrs((await ask(h, 'r.example')).msg!.answers)
    }
    assert.deepEqual(answers, ['r.example 3600 A 10.3.3.2', 'r.example 3600 A 10.3.3.3'])
  } finally {
    for (const fn of shutdown) await fn()
  }
  assert.deepEqual(warnings, [])
})

test('setup warns about a missing file, as CoreDNS does, and serves the inline entries', () => {
  const warnings: string[] = []
  const ctx = {
    zones: ['.'],
    dir,
    log: { ...logger('hosts'), warning: (m: string) => warnings.push(m) },
    onStartup: () => {},
    onShutdown: () => {},
  } as unknown as SetupContext
  const { blocks } = loadCorefile({ file: 'Corefile', text: '. {\n hosts missing.hosts\n}\n' })
  hostsPlugin.setup(hostsPlugin.parse(blocks[0]!.directives, ctx), ctx)
  assert.deepEqual(warnings, [`File does not exist: ${join(dir, 'missing.hosts')}`])
})

test('only a regular file of at most MAX_HOSTS_BYTES is read; a refused one keeps the entries', async () => {
  // neither may hang the read or grow memory: /dev/zero never ends, a FIFO's open would block
  const fifo = join(dir, 'fifo')
  execFileSync('mkfifo', [fifo])
  for (const path of ['/dev/zero', fifo]) {
    const { h, data } = hosts('hosts {\n 10.2.2.2 inline.example\n}', '.', path)
    await data.read()
    assert.deepEqual(rrs((await ask(h, 'inline.example')).msg!.answers), [
      'inline.example 3600 A 10.2.2.2',
    ])
  }
  const file = join(dir, 'hosts-grows')
  writeFileSync(file, '10.1.1.1 kept.example\n')
  const { h, data } = hosts('hosts', '.', file)
  await data.read()
  writeFileSync(file, `10.1.1.2 big.example\n# ${'x'.repeat(MAX_HOSTS_BYTES)}\n`)
  await data.read()
  assert.equal((await ask(h, 'kept.example')).rcode, Rcode.NoError)
  assert.equal((await ask(h, 'big.example')).rcode, Rcode.ServFail)
})
