import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Answer, DecodedPacket } from 'dns-packet'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { Handler, Msg, RequestContext } from '../../src/plugin/plugin.ts'
import { PluginError } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { parseQuery } from '../../src/wire/request.ts'
import { nextHandler, Recorder, request, testContext, type QueryOpts } from '../../test/dnstest.ts'
import { matches, rrFailures, templateFailures } from './metrics.ts'
import { parseTemplate } from './setup.ts'
import { TemplateHandler } from './template.ts'

let servers = 0

/** The template handler of the first block of `corefile`, with its own metrics `server` label. */
function handler(corefile: string, next: Handler | undefined = nextHandler(Rcode.Refused)) {
  const { blocks, listenKeys } = loadCorefile({ file: 'Corefile', text: corefile })
  const zones = listenKeys[0]!.map((k) => k.zone)
  const cfg = parseTemplate(
    blocks[0]!.directives.filter((d) => d.name.text === 'template'),
    zones,
  )
  const server = `dns://:${5300 + servers++}`
  return { h: new TemplateHandler(cfg, next, { server, zones }), server }
}

interface Outcome {
  rcode: number
  written: boolean
  msg?: DecodedPacket
}

async function ask(
  h: Handler,
  name: string,
  type = 'A',
  opts: QueryOpts & { ctx?: RequestContext; remote?: string } = {},
): Promise<Outcome> {
  const w = new Recorder(
    opts.remote
      ? { address: opts.remote, port: 5353, family: opts.remote.includes(':') ? 6 : 4 }
      : undefined,
  )
  const rcode = await h.serveDNS(opts.ctx ?? testContext, w, request(name, type, opts))
  return { rcode, written: w.wire !== undefined, ...(w.wire ? { msg: w.msg } : {}) }
}

const data = (a: Answer): unknown => {
  const d = (a as { data?: unknown }).data
  return Array.isArray(d) ? d.map((b) => Buffer.from(b as Uint8Array).toString()).join(' ') : d
}
const rrs = (list: readonly Answer[] | undefined): string[] =>
  (list ?? []).map(
    (a) => `${a.name} ${(a as { ttl?: number }).ttl} ${a.type} ${JSON.stringify(data(a))}`,
  )

test('answers from named groups, authoritative, with every section', async () => {
  const { h } = handler(`example {
    template IN A example {
      match (^|[.])ip-(?P<a>[0-9]*)-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
      answer "{{ .Name }} 60 IN A {{ .Group.a }}.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
      authority  "example. 60 IN NS ns0.example."
      additional "ns0.example. 60 IN A 203.0.113.8"
    }
  }`)
  const o = await ask(h, 'foo.ip-10-1-2-3.example')
  assert.equal(o.rcode, Rcode.NoError)
  assert.ok(o.msg!.flag_aa)
  assert.ok(!o.msg!.flag_ra)
  assert.ok(o.msg!.flag_rd)
  assert.deepEqual(rrs(o.msg!.answers), ['foo.ip-10-1-2-3.example 60 A "10.1.2.3"'])
  assert.deepEqual(rrs(o.msg!.authorities), ['example 60 NS "ns0.example"'])
  assert.deepEqual(rrs(o.msg!.additionals), ['ns0.example 60 A "203.0.113.8"'])
})

test('every data field and function real Corefiles use', async () => {
  const { h } = handler(`example {
    template IN ANY example {
      match ^(?P<host>[a-z]+)-(?P<hex>[0-9a-f]{2})[.](example)[.]$
      answer "{{ .Name }} 60 IN TXT \\"zone={{ .Zone }}\\" \\"class={{ .Class }}\\" \\"type={{ .Type }}\\""
      answer "{{ .Name }} 60 IN TXT \\"m0={{ index .Match 0 }}\\" \\"m3={{ index .Match 3 }}\\" \\"g={{ .Group.host }}\\" \\"g1={{ index .Group \\"1\\" }}\\""
      answer "{{ .Name }} 60 IN TXT \\"id={{ .Message.Id }}\\" \\"rd={{ .Message.RecursionDesired }}\\" \\"q={{ .Question.Name }}\\" \\"qt={{ .Question.Qtype }}\\" \\"mq={{ (index .Message.Question 0).Name }}\\""
      answer "{{ .Name }} 60 IN TXT \\"remote={{ .Remote }}\\" \\"regex={{ .Regex }}\\""
      answer "{{ .Name }} 60 IN TXT \\"{{ parseInt .Group.hex 16 8 }}\\" \\"{{ parseInt .Group.hex 16 8 | printf \\"%s-%03d\\" .Group.host }}\\" \\"{{ len .Match }}\\""
      answer "{{ $h := .Group.host }}{{- .Name }} 60 IN TXT {{ if eq $h \\"web\\" }}\\"is-web\\"{{ else }}\\"not-web\\"{{ end }} \\"{{ with .Group.hex }}{{ . }}{{ end }}\\""
      answer "{{ .Name }} 60 IN TXT \\"{{ .Question }}\\""
    }
  }`)
  const o = await ask(h, 'Web-0a.Example', 'TXT', { id: 4242, remote: '10.9.8.7' })
  assert.equal(o.rcode, Rcode.NoError)
  assert.deepEqual(
    o.msg!.answers!.map((a) => data(a)),
    [
      'zone=example. class=IN type=TXT',
      'm0=web-0a.example. m3=example g=web g1=web',
      'id=4242 rd=true q=Web-0a.Example. qt=16 mq=Web-0a.Example.',
      'remote=10.9.8.7 regex=^(?P<host>[a-z]+)-(?P<hex>[0-9a-f]{2})[.](example)[.]$',
      '10 web-010 4',
      'is-web 0a',
      ';Web-0a.Example.\tIN\t TXT',
    ],
  )
})

test('a query for ANY type or class fills .Type and .Class from the template', async () => {
  const { h } = handler(`example {
    template IN A example {
      answer "{{ .Name }} 60 IN TXT {{ .Type }}-{{ .Class }}"
    }
  }`)
  assert.deepEqual((await ask(h, 'x.example', 'ANY')).msg!.answers!.map(data), ['A-IN'])
  // a different type goes on to the next plugin
  assert.equal((await ask(h, 'x.example', 'AAAA')).rcode, Rcode.Refused)
})

test('queries outside the zones, or of another class or type, go to the next plugin', async () => {
  const { h } = handler(`. {
    template IN A example.org {
      answer "{{ .Name }} 60 IN A 10.0.0.1"
    }
  }`)
  for (const [name, type, cls] of [
    ['example.com', 'A', 'IN'],
    ['example.org', 'MX', 'IN'],
    ['example.org', 'A', 'CH'],
  ] as const) {
    const o = await ask(h, name, type, { class: cls })
    assert.equal(o.rcode, Rcode.Refused, `${name} ${type} ${cls}`)
    assert.equal(o.written, false)
  }
})

test('no regex matches: SERVFAIL without fallthrough, next template or plugin with it', async () => {
  const chain = handler(`example {
    template IN A example {
      match ^a[.]
      answer "{{ .Name }} 60 IN A 10.0.0.1"
      fallthrough
    }
    template IN A example {
      match ^b[.]
      answer "{{ .Name }} 60 IN A 10.0.0.2"
      fallthrough
    }
    template IN A example {
      match ^c[.]
      answer "{{ .Name }} 60 IN A 10.0.0.3"
    }
  }`).h
  assert.deepEqual((await ask(chain, 'a.example')).msg!.answers!.map(data), ['10.0.0.1'])
  assert.deepEqual((await ask(chain, 'b.example')).msg!.answers!.map(data), ['10.0.0.2'])
  assert.deepEqual((await ask(chain, 'c.example')).msg!.answers!.map(data), ['10.0.0.3'])
  const none = await ask(chain, 'd.example')
  assert.deepEqual([none.rcode, none.written], [Rcode.ServFail, false])

  const open = handler(`example {
    template IN A example {
      match ^a[.]
      answer "{{ .Name }} 60 IN A 10.0.0.1"
      fallthrough
    }
    template IN A example {
      match ^b[.]
      answer "{{ .Name }} 60 IN A 10.0.0.2"
      fallthrough
    }
  }`).h
  assert.equal((await ask(open, 'd.example')).rcode, Rcode.Refused)
})

test('fallthrough limited to zones', async () => {
  const { h } = handler(`. {
    template IN PTR in-addr.arpa ip6.arpa {
      match ^(?P<d>[0-9]+)[.](?P<c>[0-9]+)[.](?P<b>[0-9]+)[.]10[.]in-addr[.]arpa[.]$
      answer "{{ .Name }} 60 IN PTR ip-10-{{ .Group.b }}-{{ .Group.c }}-{{ .Group.d }}.example."
      fallthrough ip6.arpa
    }
  }`)
  assert.deepEqual((await ask(h, '4.3.2.10.in-addr.arpa', 'PTR')).msg!.answers!.map(data), [
    'ip-10-2-3-4.example',
  ])
  assert.equal((await ask(h, '4.3.2.1.in-addr.arpa', 'PTR')).rcode, Rcode.ServFail)
  assert.equal((await ask(h, `${'0.'.repeat(32)}ip6.arpa`, 'PTR')).rcode, Rcode.Refused)
})

test('rcode-only templates: NXDOMAIN with a SOA, and SERVFAIL without writing', async () => {
  const nx = handler(`. {
    template ANY ANY invalid {
      rcode NXDOMAIN
      authority "invalid. 60 {{ .Class }} SOA ns.invalid. hostmaster.invalid. (1 60 60 60 60)"
    }
  }`).h
  const o = await ask(nx, 'foo.invalid', 'AAAA')
  assert.equal(o.rcode, Rcode.NXDomain)
  assert.equal((o.msg as { rcode?: string }).rcode, 'NXDOMAIN')
  assert.ok(o.msg!.flag_aa)
  assert.deepEqual(o.msg!.answers, [])
  assert.deepEqual(rrs(o.msg!.authorities), [
    'invalid 60 SOA {"mname":"ns.invalid","rname":"hostmaster.invalid","serial":1,"refresh":60,"retry":60,"expire":60,"minimum":60}',
  ])
  const ch = await ask(nx, 'foo.invalid', 'TXT', { class: 'CH' })
  assert.equal((ch.msg!.authorities![0] as { class?: string }).class, 'CH')

  const sf = handler(`. {
    template ANY ANY {
      rcode SERVFAIL
    }
  }`).h
  const s = await ask(sf, 'anything')
  assert.deepEqual([s.rcode, s.written], [Rcode.ServFail, false])

  const empty = handler(`. {
    template IN A {
    }
  }`).h
  const e = await ask(empty, 'x')
  assert.deepEqual([e.rcode, e.msg!.answers], [Rcode.NoError, []])
})

test('ederror adds an OPT with the Extended DNS Error', async () => {
  const { h } = handler(`. {
    template ANY ANY invalid {
      rcode NXDOMAIN
      ederror 21 "Blocked according to RFC2606"
    }
  }`)
  const o = await ask(h, 'x.invalid')
  const opt = o.msg!.additionals![0] as {
    type: string
    udpPayloadSize: number
    flags: number
    options: { code: number; data: Buffer }[]
  }
  assert.equal(opt.type, 'OPT')
  assert.equal(opt.udpPayloadSize, 4096)
  assert.equal(opt.flags & 0x8000, 0x8000)
  assert.equal(opt.options[0]!.code, 15)
  assert.equal(opt.options[0]!.data.readUInt16BE(0), 21)
  assert.equal(opt.options[0]!.data.subarray(2).toString(), 'Blocked according to RFC2606')
})

test('a CNAME for A/AAAA is followed through the same server and the target appended', async () => {
  const lookups: string[] = []
  const ctx: RequestContext = {
    ...testContext,
    resolve: async (name, type, opts) => {
      lookups.push(`${name} ${type} do=${opts?.do ?? false}`)
      const answers: Answer[] =
        type === 1
          ? [{ name: 'google.com', type: 'A', ttl: 300, class: 'IN', data: '142.250.1.1' }]
          : [{ name: 'google.com', type: 'AAAA', ttl: 300, class: 'IN', data: '2a00::1' }]
      return {
        type: 'response',
        flags: 0x8180 | (name === 'big.example.' ? 0x200 : 0),
        answers,
      } as Msg
    },
  }
  const { h } = handler(`. {
    template IN ANY foogle.com big.example {
      answer "{{ .Name }} 60 IN CNAME {{ if eq .Name \\"big.example.\\" }}big.example.{{ else }}google.com{{ end }}"
    }
  }`)
  const a = await ask(h, 'foogle.com', 'A', { ctx })
  assert.deepEqual(rrs(a.msg!.answers), [
    'foogle.com 60 CNAME "google.com"',
    'google.com 300 A "142.250.1.1"',
  ])
  const aaaa = await ask(h, 'foogle.com', 'AAAA', { ctx, do: true })
  assert.deepEqual(rrs(aaaa.msg!.answers), [
    'foogle.com 60 CNAME "google.com"',
    'google.com 300 AAAA "2a00::1"',
  ])
  // other types are not followed
  const mx = await ask(h, 'foogle.com', 'MX', { ctx })
  assert.deepEqual(rrs(mx.msg!.answers), ['foogle.com 60 CNAME "google.com"'])
  assert.deepEqual(lookups, ['google.com. 1 do=false', 'google.com. 28 do=true'])
  // a truncated target answer truncates ours
  assert.ok((await ask(h, 'big.example', 'A', { ctx })).msg!.flag_tc)
})

test('a failed CNAME lookup leaves the CNAME alone', async () => {
  const ctx: RequestContext = {
    ...testContext,
    resolve: () => Promise.reject(new Error('no answer')),
  }
  const { h } = handler(`. {
    template IN A a.example {
      answer "a.example. 60 IN CNAME b.example."
    }
  }`)
  assert.deepEqual(rrs((await ask(h, 'a.example', 'A', { ctx })).msg!.answers), [
    'a.example 60 CNAME "b.example"',
  ])
})

test('a CNAME loop through the same server stops after 10 nested lookups', async () => {
  let lookups = 0
  const { h } = handler(`. {
    template IN A loop.example {
      answer "{{ .Name }} 60 IN CNAME loop.example."
    }
  }`)
  const ctx: RequestContext = {
    ...testContext,
    resolve: async (name, type) => {
      lookups++
      const w = new Recorder()
      await h.serveDNS(ctx, w, request(name, type === 1 ? 'A' : 'AAAA'))
      return w.msg as Msg
    },
  }
  const o = await ask(h, 'loop.example', 'A', { ctx })
  assert.equal(lookups, 10)
  assert.equal(o.msg!.answers!.length, 11)
})

test('template and RR failures: SERVFAIL error and the failure counters', async () => {
  const { h, server } = handler(`example {
    template IN A example {
      match ^(?P<x>[a-z]+)[.]
      answer "{{ .Name }} 60 IN A 10.0.0.{{ parseInt .Group.x 10 8 }}"
    }
    template IN AAAA example {
      answer "{{ .Name }} 60 IN AAAA {{ index .Group \\"0\\" }}"
    }
  }`)
  const labels = { server, zone: 'example.', view: '', class: 'IN' }
  await assert.rejects(
    Promise.resolve().then(() =>
      h.serveDNS(testContext, new Recorder(), request('abc.example', 'A')),
    ),
    (e: unknown) =>
      e instanceof PluginError &&
      e.rcode === Rcode.ServFail &&
      /error calling parseInt/.test(e.message),
  )
  const tf = templateFailures.child({
    ...labels,
    type: 'A',
    section: 'answer',
    template: '{{.Name}} 60 IN A 10.0.0.{{parseInt .Group.x 10 8}}',
  })
  assert.equal(tf.value, 1)
  await assert.rejects(
    Promise.resolve().then(() =>
      h.serveDNS(testContext, new Recorder(), request('abc.example', 'AAAA')),
    ),
    (e: unknown) => e instanceof PluginError && /bad AAAA rdata/.test(e.message),
  )
  const rf = rrFailures.child({
    ...labels,
    type: 'AAAA',
    section: 'answer',
    template: '{{.Name}} 60 IN AAAA {{index .Group "0"}}',
  })
  assert.equal(rf.value, 1)
})

test('matches are counted per server, zone, class and type', async () => {
  const { h, server } = handler(`example {
    template IN ANY example {
      answer "{{ .Name }} 60 IN TXT x"
    }
  }`)
  await ask(h, 'a.example', 'TXT')
  await ask(h, 'b.example', 'TXT')
  await ask(h, 'b.example', 'A')
  assert.equal(
    matches.child({ server, zone: 'example.', view: '', class: 'IN', type: 'TXT' }).value,
    2,
  )
  assert.equal(
    matches.child({ server, zone: 'example.', view: '', class: 'IN', type: 'A' }).value,
    1,
  )
})

test('class and type labels: a value without a mnemonic is "", so random ones stay bounded', async () => {
  // 5a: every raw qclass/qtype was a label value; 600,179 series came from one flood. CoreDNS
  // 1.14.7 prints "" for both (seen with the real binary: class="" type="" for CLASS4660 TYPE4660).
  const { h, server } = handler(`example {
    template ANY ANY example {
      answer "{{ .Name }} 60 IN TXT \\"{{ .Class }}/{{ .Type }}\\""
    }
  }`)
  const q = request('x.example', 'A')
  const wire = Buffer.from(q.wire)
  const classes = [1, 3, 254, 255, 4660, 65280]
  for (let type = 0; type < 65536; type++) {
    wire.writeUInt16BE(type, q.questionEnd - 4)
    wire.writeUInt16BE(classes[type % classes.length]!, q.questionEnd - 2)
    const r = parseQuery(wire, 'udp')
    if (typeof r === 'number') continue
    await h.serveDNS(testContext, new Recorder(), r)
  }
  const series = matches.get().values.filter((v) => v.labels.server === server)
  // at most 7 classes (IN CS CH HS NONE ANY "") x the named types and "" (about 100)
  assert.ok(series.length > 80 && series.length <= 7 * 110, `${series.length} series`)
  assert.ok(series.some((v) => v.labels.class === '' && v.labels.type === ''))
  const odd = Buffer.from(q.wire)
  odd.writeUInt16BE(4660, q.questionEnd - 4)
  const w = new Recorder()
  await h.serveDNS(testContext, w, parseQuery(odd, 'udp') as never)
  assert.deepEqual(w.msg.answers!.map(data), ['IN/'])
})

test('ReDoS: nested quantifiers against a 250-byte name run on RE2 and fall through', async () => {
  // How long they take is measured in bench/redos.ts (RE2: linear in the name); here, that such
  // patterns are accepted and a name that never matches goes on to the next plugin, each time.
  const { h } = handler(`. {
    template IN A {
      match ^(a+)+$ ^(a|a)+$ ^((a+[.])+)+b$ ^(([a.]+)*)*![.]$
      answer "{{ .Name }} 60 IN A 10.0.0.1"
      fallthrough
    }
  }`)
  // 63+1+63+1+63+1+57+1 = 250 bytes of 'a' labels: each regex runs the whole name and fails
  const name = ['a'.repeat(63), 'a'.repeat(63), 'a'.repeat(63), 'a'.repeat(57)].join('.') + '.'
  assert.equal(name.length, 250)
  for (let i = 0; i < 20; i++) {
    const o = await ask(h, name)
    assert.equal(o.rcode, Rcode.Refused) // no match: on to the next plugin
  }
})
