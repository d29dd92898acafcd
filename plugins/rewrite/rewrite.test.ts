import assert from 'node:assert/strict'
import { test } from 'node:test'
import { replyMsg } from '../../src/plugin/msg.ts'
import { PluginError, type Msg, type RequestContext } from '../../src/plugin/plugin.ts'
import { collect } from '../../src/plugin/metadata.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { WireRequest } from '../../src/wire/request.ts'
import { className, typeName } from '../../src/plugin/rrtype.ts'
import { Recorder, testContext } from '../../test/dnstest.ts'
import { rcodeName } from '../../test/helpers/query.ts'
import { rr } from '../../test/helpers/rr.ts'
import { echoA, optionsOf, query, rewriteHandler, run, type Answer } from './testkit.ts'

const names = (m: { answers?: Array<{ name: string }> }) => (m.answers ?? []).map((a) => a.name)

/** A reply to the request with these zone-file records as the answer. */
const records =
  (...zone: string[]): Answer =>
  (r) => ({ ...replyMsg(r, 0, 0x8000), answers: zone.map((z) => rr(z)) })

// After CoreDNS's TestRewrite: what the next plugin is asked, and that the client sees its own
// question (and, with auto answers, its own name) back.
const RULES = `
rewrite name from.nl. to.nl.
rewrite {
  name regex (core)\\.(dns)\\.(rocks)\\.(nl) {2}.{1}.{3}.{4}
  answer name (dns)\\.(core)\\.(rocks)\\.(nl) {2}.{1}.{3}.{4}
}
rewrite name exact from.exact.nl. to.nl.
rewrite name prefix prefix to
rewrite name suffix .suffix. .nl.
rewrite name substring from.substring to
rewrite name regex (f.*m)\\.regex\\.(nl) to.{2}
rewrite continue name regex consul\\.(rocks) core.dns.{1}
rewrite name core.dns.rocks to.nl.
rewrite continue class HS CH
rewrite stop class CH IN
rewrite type ANY HINFO
`

const table: Array<[string, string, string, string, string, string, string]> = [
  // from, type, class -> to, type, class, answer name the client sees
  ['from.nl.', 'A', 'IN', 'to.nl.', 'A', 'IN', 'from.nl'],
  ['a.nl.', 'A', 'IN', 'a.nl.', 'A', 'IN', 'a.nl'],
  ['a.nl.', 'A', 'CH', 'a.nl.', 'A', 'IN', 'a.nl'],
  ['a.nl.', 'ANY', 'IN', 'a.nl.', 'HINFO', 'IN', 'a.nl'],
  ['from.nl.', 'ANY', 'IN', 'to.nl.', 'ANY', 'IN', 'from.nl'],
  ['from.exact.nl.', 'A', 'IN', 'to.nl.', 'A', 'IN', 'from.exact.nl'],
  ['prefix.nl.', 'A', 'IN', 'to.nl.', 'A', 'IN', 'to.nl'],
  ['to.suffix.', 'A', 'IN', 'to.nl.', 'A', 'IN', 'to.nl'],
  ['from.substring.nl.', 'A', 'IN', 'to.nl.', 'A', 'IN', 'to.nl'],
  ['from.regex.nl.', 'A', 'IN', 'to.nl.', 'A', 'IN', 'to.nl'],
  // the regex rule has no answer auto: only the exact rule's step is undone
  ['consul.rocks.', 'A', 'IN', 'to.nl.', 'A', 'IN', 'core.dns.rocks'],
  ['a.nl.', 'ANY', 'CH', 'a.nl.', 'ANY', 'IN', 'a.nl'],
  ['a.nl.', 'ANY', 'HS', 'a.nl.', 'ANY', 'IN', 'a.nl'],
  ['core.dns.rocks.nl.', 'A', 'IN', 'dns.core.rocks.nl.', 'A', 'IN', 'core.dns.rocks.nl'],
]

for (const [from, type, klass, to, toType, toClass, answer] of table) {
  test(`${from} ${type} ${klass} is asked as ${to} ${toType} ${toClass}`, async () => {
    const { seen, reply } = await run(RULES, query(from, type, { class: klass }))
    assert.equal(seen?.qname, to)
    assert.equal(typeName(seen!.type), toType)
    assert.equal(className(seen!.class), toClass)
    assert.deepEqual(reply.questions, [{ name: from.slice(0, -1), type, class: klass }])
    assert.deepEqual(names(reply), [answer])
  })
}

test('no rule applies: the next plugin gets the very same request and writer', async () => {
  const { h, seen, seenWriter } = rewriteHandler('rewrite name exact a.example. b.example.')
  const r = query('other.example.')
  const w = new Recorder()
  await h.serveDNS(testContext, w, r)
  assert.equal(seen(), r)
  assert.equal(seenWriter(), w)
})

test("the rewritten request keeps the client's deadline and metadata store (one context)", async () => {
  const { h, seen } = rewriteHandler('rewrite name exact a.example. b.example.')
  const r = query('a.example.') as WireRequest
  r.deadline = 1_800_000_001_500 // as cancel sets it
  collect(r, ['.'], {})
  await h.serveDNS(testContext, new Recorder(), r)
  assert.notEqual(seen(), r, 'a new request')
  assert.equal(seen()?.qname, 'b.example.')
  assert.equal(seen()?.deadline, r.deadline)
  assert.equal(seen()?.metadata, r.metadata, 'what the next plugin publishes, log reads')
})

test('name regex with answer auto: the client sees its own name, CNAME targets too', async () => {
  const rules =
    'rewrite name regex (.*)-(us-west-1)\\.example\\.org {1}.service.{2}.consul answer auto'
  const upstream = records(
    'ftp.service.us-west-1.consul. 30 IN CNAME www.ftp.service.us-west-1.consul.',
    'www.ftp.service.us-west-1.consul. 30 IN A 10.10.10.10',
  )
  const { seen, reply } = await run(rules, query('ftp-us-west-1.example.org.'), upstream)
  assert.equal(seen?.qname, 'ftp.service.us-west-1.consul.')
  assert.deepEqual(reply.questions?.[0]?.name, 'ftp-us-west-1.example.org')
  assert.deepEqual(
    reply.answers?.map((a) => [a.name, a.type, (a as { data: unknown }).data]),
    [
      ['ftp-us-west-1.example.org', 'CNAME', 'www.ftp-us-west-1.example.org'],
      ['www.ftp-us-west-1.example.org', 'A', '10.10.10.10'],
    ],
  )
})

test('name regex with answer name and answer value (SRV, MX)', async () => {
  const rules =
    'rewrite stop {\n name regex (.*)-(us-west-1)\\.coredns\\.rocks {1}.service.{2}.consul\n' +
    ' answer name (.*)\\.service\\.(us-west-1)\\.consul {1}-{2}.coredns.rocks\n' +
    ' answer value (.*)\\.service\\.(us-west-1)\\.consul {1}-{2}.coredns.rocks\n}'
  const upstream = records(
    'ftp.service.us-west-1.consul. 5 IN SRV 0 100 21 node1.service.us-west-1.consul.',
    'ftp.service.us-west-1.consul. 5 IN MX 10 mail.service.us-west-1.consul.',
  )
  const { reply } = await run(rules, query('ftp-us-west-1.coredns.rocks.', 'SRV'), upstream)
  assert.deepEqual(names(reply), ['ftp-us-west-1.coredns.rocks', 'ftp-us-west-1.coredns.rocks'])
  const [srv, mx] = reply.answers as Array<{ data: { target?: string; exchange?: string } }>
  assert.equal(srv?.data.target, 'node1-us-west-1.coredns.rocks')
  assert.equal(mx?.data.exchange, 'mail-us-west-1.coredns.rocks')
})

test('suffix with answer auto exchanges the suffix back in names and values', async () => {
  const rules = 'rewrite name suffix .schmoogle.com. .google.com. answer auto'
  const upstream = records(
    'www.google.com. 60 IN CNAME edge.google.com.',
    'edge.google.com. 60 IN A 192.0.2.1',
  )
  const { seen, reply } = await run(rules, query('www.schmoogle.com.'), upstream)
  assert.equal(seen?.qname, 'www.google.com.')
  assert.deepEqual(names(reply), ['www.schmoogle.com', 'edge.schmoogle.com'])
  assert.equal((reply.answers?.[0] as { data: string }).data, 'edge.schmoogle.com')
})

test('an exact rewrite keeps authority and additional names in step', async () => {
  const upstream: Answer = (r) => ({
    ...replyMsg(r, Rcode.NXDomain, 0x8000),
    authorities: [rr('blue.example.org. 60 IN SOA ns.blue.example.org. h.example.org. 1 2 3 4 60')],
  })
  const rule = 'rewrite name red.example.org blue.example.org'
  const { reply } = await run(rule, query('red.example.org.'), upstream)
  assert.equal(reply.rcode, 'NXDOMAIN')
  const soa = reply.authorities?.[0] as { name: string; data: { mname: string } }
  assert.equal(soa.name, 'red.example.org')
  assert.equal(soa.data.mname, 'ns.red.example.org')
})

// TTL rules clamp every record's TTL: N sets it, MIN-MAX, MIN- and -MAX bound it.
const ttls: Array<[string, number, number]> = [
  ['15', 300, 15],
  ['30-60', 300, 60],
  ['30-60', 10, 30],
  ['30-60', 45, 45],
  ['400-', 300, 400],
  ['400-', 500, 500],
  ['-100', 300, 100],
  ['-100', 0, 0],
  ['0', 300, 0],
]
for (const [spec, upstreamTtl, want] of ttls) {
  test(`ttl ${spec}: ${upstreamTtl} becomes ${want}`, async () => {
    const upstream = records(
      `a.ttl.org. ${upstreamTtl} IN A 192.0.2.1`,
      `a.ttl.org. ${upstreamTtl} IN A 192.0.2.2`,
    )
    const rule = `rewrite ttl regex (.*)\\.ttl\\.org ${spec}`
    const { reply } = await run(rule, query('a.ttl.org.'), upstream)
    assert.deepEqual(reply.answers?.map((a) => (a as { ttl: number }).ttl), [want, want])
  })
}

test('ttl rules match by exact, prefix, suffix, substring; others keep their TTL', async () => {
  const upstream = records('x.ttl.org. 300 IN A 192.0.2.1')
  const cases: Array<[string, string, number]> = [
    ['rewrite ttl x.ttl.org 5', 'x.ttl.org.', 5],
    ['rewrite ttl exact x.ttl.org 5', 'y.ttl.org.', 300],
    ['rewrite ttl prefix x 5', 'x.ttl.org.', 5],
    ['rewrite ttl suffix ttl.org 5', 'x.ttl.org.', 5],
    ['rewrite ttl substring ttl.or 5', 'x.ttl.org.', 300], // made fully qualified: "ttl.or."
    ['rewrite ttl substring ttl.org 5', 'x.ttl.org.', 5],
  ]
  for (const [rule, name, want] of cases) {
    const { reply } = await run(rule, query(name), upstream)
    assert.equal((reply.answers?.[0] as { ttl: number }).ttl, want, rule)
  }
})

test('continue applies the next rules; response rules run in reverse order', async () => {
  const rules = 'rewrite continue ttl regex .* 100-200\nrewrite ttl regex .* 150'
  const { reply } = await run(rules, query('a.example.'), records('a.example. 300 IN A 192.0.2.1'))
  // request order: clamp 100-200, then 150; reply order reversed: 150 first, then 100-200
  assert.equal((reply.answers?.[0] as { ttl: number }).ttl, 150)
})

test('edns0 local set adds the option, hex or text, and replaces one already there', async () => {
  for (const data of ['0x61626364', 'abcd']) {
    const q = query('a.example.', 'A', { edns: false })
    const { seen } = await run(`rewrite edns0 local set 0xffee ${data}`, q)
    const abcd = { code: 0xffee, type: 'OPTION_65518', data: Buffer.from('abcd') }
    assert.deepEqual(optionsOf(seen!), [abcd])
  }
  const existing = [
    { code: 0xffee, data: Buffer.from('old') },
    { code: 0xfff0, data: Buffer.from('keep') },
  ]
  const q = query('a.example.', 'A', { options: existing })
  const { seen } = await run('rewrite edns0 local set 0xffee new', q)
  assert.deepEqual(optionsOf(seen!).map((o) => [o.code, String(o.data)]), [
    [0xffee, 'new'],
    [0xfff0, 'keep'],
  ])
})

test('edns0 append, replace, unset act when the option is absent, present, present', async () => {
  const old = [{ code: 65518, data: Buffer.from('old') }]
  const present = () => query('a.example.', 'A', { options: old })
  const absent = () => query('a.example.', 'A', { edns: true })
  const data = async (rule: string, q: ReturnType<typeof query>) =>
    optionsOf((await run(rule, q)).seen!).map((o) => Buffer.from(o.data as Buffer).toString())
  assert.deepEqual(await data('rewrite edns0 local append 65518 new', present()), ['old'])
  assert.deepEqual(await data('rewrite edns0 local append 65518 new', absent()), ['new'])
  assert.deepEqual(await data('rewrite edns0 local replace 65518 new', present()), ['new'])
  assert.deepEqual(await data('rewrite edns0 local replace 65518 new', absent()), [])
  assert.deepEqual(await data('rewrite edns0 local unset 65518', present()), [])
  assert.deepEqual(await data('rewrite edns0 nsid set', absent()), [''])
})

test('edns0 local variables: qname, qtype, client and server address and port', async () => {
  const rules = [
    'rewrite continue edns0 local set 0xfff0 {qname}',
    'rewrite continue edns0 local set 0xfff1 {qtype}',
    'rewrite continue edns0 local set 0xfff2 {client_ip}',
    'rewrite continue edns0 local set 0xfff3 {client_port}',
    'rewrite continue edns0 local set 0xfff4 {protocol}',
    'rewrite continue edns0 local set 0xfff5 {server_ip}',
    'rewrite continue edns0 local set 0xfff6 {server_port}',
  ].join('\n')
  const { seen } = await run(rules, query('Var.Example.', 'AAAA', { edns: false }), echoA, {
    remote: { address: '10.240.0.1', port: 40212, family: 4 },
  })
  assert.deepEqual(
    optionsOf(seen!).map((o) => [o.code, Buffer.from(o.data as Buffer).toString('hex')]),
    [
      [0xfff0, Buffer.from('Var.Example.').toString('hex')],
      [0xfff1, '001c'],
      [0xfff2, '0af00001'],
      [0xfff3, '9d14'],
      [0xfff4, Buffer.from('udp').toString('hex')],
      [0xfff5, '7f000001'],
      [0xfff6, '0035'],
    ],
  )
})

test('edns0 subnet set: the client address cut to the family prefix', async () => {
  const subnet = async (address: string, family: 4 | 6) => {
    const { seen } = await run('rewrite edns0 subnet set 24 56', query('a.example.'), echoA, {
      remote: { address, port: 5353, family },
    })
    const ecs = optionsOf(seen!).find((o) => o.code === 8)
    return ecs as { family: number; sourcePrefixLength: number; ip: string }
  }
  const v4 = await subnet('10.240.7.9', 4)
  assert.deepEqual([v4.family, v4.sourcePrefixLength, v4.ip], [1, 24, '10.240.7.0'])
  const v6 = await subnet('2001:db8:1234:5678::1', 6)
  assert.deepEqual([v6.family, v6.sourcePrefixLength, v6.ip], [2, 56, '2001:db8:1234:5600::'])
})

test('edns0 subnet set: a client ECS with a shorter source prefix keeps it', async () => {
  // The client's own option: 10.240.0.0/16, shorter than the rule's 24 (CoreDNS fillEcsData).
  const own = { code: 8, data: Buffer.from([0, 1, 16, 0, 10, 240]) }
  const ecsOf = async (lines: string) => {
    const { seen } = await run(lines, query('a.example.', 'A', { options: [own] }), echoA, {
      remote: { address: '10.240.7.9', port: 5353, family: 4 },
    })
    const all = optionsOf(seen!).filter((o) => o.code === 8)
    assert.equal(all.length, 1)
    const ecs = all[0] as { family: number; sourcePrefixLength: number; ip: string }
    return [ecs.family, ecs.sourcePrefixLength, ecs.ip]
  }
  assert.deepEqual(await ecsOf('rewrite edns0 subnet set 24 56'), [1, 16, '10.240.0.0'])
  assert.deepEqual(await ecsOf('rewrite edns0 subnet replace 8 56'), [1, 8, '10.0.0.0'])
})

test('an OPT a rule added to a query without EDNS never reaches the client', async () => {
  const upstream: Answer = (r) => ({
    ...replyMsg(r, 0, 0x8000),
    answers: [rr('a.example. 60 IN A 192.0.2.1')],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, options: [] } as never],
  })
  const q = query('a.example.', 'A', { edns: false })
  const { seen, reply } = await run('rewrite edns0 local set 0xffee x', q, upstream)
  assert.ok(seen?.edns !== undefined)
  assert.equal(reply.additionals?.length, 0)
  assert.equal(names(reply).length, 1)
})

test('type rewrite: the next plugin is asked HINFO, the client sees its ANY question', async () => {
  const { seen, reply } = await run('rewrite type ANY HINFO', query('a.example.', 'ANY'))
  assert.equal(seen?.type, 13)
  assert.equal(reply.questions?.[0]?.type, 'ANY')
})

test('rcode rules rewrite replies, written or not', async () => {
  const nx: Answer = (r) => replyMsg(r, Rcode.NXDomain, 0x8000)
  const rule = 'rewrite rcode exact gone.example. NXDOMAIN NOERROR'
  const ok = await run(rule, query('gone.example.'), nx)
  assert.equal(ok.reply.rcode, 'NOERROR')
  const other = await run(rule, query('here.example.'), nx)
  assert.equal(other.reply.rcode, 'NXDOMAIN')
  const servfail = () => Rcode.ServFail
  const failed = await run('rewrite rcode regex ^srv 2 5', query('srv1.example.'), servfail)
  assert.equal(failed.reply.rcode, 'REFUSED')
  assert.equal(failed.w.writes, 1)
  assert.equal(failed.rc, Rcode.NoError)
})

test('rcode rules apply to a returned error, which still reaches the errors plugin', async () => {
  const { h } = rewriteHandler('rewrite rcode suffix example. SERVFAIL NOERROR', () => {
    throw new PluginError('test', 'upstream down')
  })
  const w = new Recorder()
  await assert.rejects(async () => h.serveDNS(testContext, w, query('a.example.')), /upstream down/)
  assert.equal(rcodeName(w.wire!), 'NOERROR')
})

test('a name that is no domain name after the rewrite fails the query with SERVFAIL', async () => {
  const { h } = rewriteHandler(`rewrite name regex (.*) {1}${'x'.repeat(70)}.example`)
  assert.throws(
    () => h.serveDNS(testContext, new Recorder(), query('a.')),
    (err: unknown) =>
      err instanceof PluginError &&
      err.rcode === Rcode.ServFail &&
      /invalid name after rewrite/.test(err.message),
  )
})

test('cname: the target is replaced, the answer completed by looking the new one up', async () => {
  const upstream = records(
    'www.example.org. 60 IN CNAME edge.cdn-a.net.',
    'edge.cdn-a.net. 60 IN A 192.0.2.1',
  )
  const asked: string[] = []
  const ctx: RequestContext = {
    ...testContext,
    resolve: async (name, type): Promise<Msg> => {
      asked.push(`${name} ${type}`)
      return { type: 'response', answers: [rr('edge.cdn-b.net. 30 IN A 198.51.100.7')] }
    },
  }
  const rule = 'rewrite cname suffix .cdn-a.net. .cdn-b.net.'
  const { reply } = await run(rule, query('www.example.org.'), upstream, { ctx })
  assert.deepEqual(asked, ['edge.cdn-b.net. 1'])
  assert.deepEqual(
    reply.answers?.map((a) => [a.name, (a as { data: string }).data]),
    [
      ['www.example.org', 'edge.cdn-b.net'],
      ['edge.cdn-b.net', '198.51.100.7'],
    ],
  )
})
