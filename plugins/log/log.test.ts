import assert from 'node:assert/strict'
import { after, beforeEach, test } from 'node:test'
import dnsPacket from 'dns-packet'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import { replyMsg } from '../../src/plugin/msg.ts'
import {
  PluginError,
  type Handler,
  type HandlerResult,
  type Request,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { Flag } from '../../src/wire/message.ts'
import { nextHandler, Recorder, request, testContext } from '../../test/dnstest.ts'
import { rr } from '../../test/helpers/rr.ts'
import { COMBINED_FORMAT, COMMON_FORMAT, compileFormat, render, type Entry } from './format.ts'
import { flush, LogHandler } from './log.ts'
import { parseLog } from './setup.ts'

let lines: string[] = []
setLogSink((l) => lines.push(l))
after(() => setLogSink((l) => process.stdout.write(l + '\n')))
beforeEach(() => {
  flush()
  lines = []
})

function rules(corefileBody: string) {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${corefileBody}\n}\n` })
  return parseLog(blocks[0]!.directives.filter((d) => d.name.text === 'log'))
}

/** A next plugin that answers like `by` would: `records` in the answer, `rcode`, AA. */
function answering(by: string, records: string[], rcode = 0, authority: string[] = []): Handler {
  return {
    name: by,
    serveDNS(_ctx, w: ResponseWriter, r: Request): HandlerResult {
      const m = replyMsg(r, rcode, Flag.AA)
      m.answers = records.map(rr)
      m.authorities = authority.map(rr)
      w.writeMsg(m, by)
      return rcode
    },
  }
}

function logged(h: Handler, r: Request, w = new Recorder()): string[] {
  const rc = h.serveDNS(testContext, w, r)
  assert.equal(typeof rc, 'number')
  flush()
  return lines
}

test('a written answer: one line in the common format, nothing before the batch is flushed', () => {
  const h = new LogHandler(rules('log'), answering('template', ['example.org. 60 IN A 192.0.2.1']))
  const w = new Recorder({ address: '10.240.0.1', port: 40212, family: 4 })
  h.serveDNS(testContext, w, request('example.org', 'A', { id: 4242 }))
  assert.equal(w.writes, 1)
  assert.equal(lines.length, 0)
  flush()
  assert.equal(lines.length, 1)
  assert.match(
    lines[0]!,
    /^\[INFO\] 10\.240\.0\.1:40212 - 4242 "A IN example\.org\. udp 29 false 512" NOERROR qr,aa,rd 56 \d+\.\d+s$/,
  )
})

test('the batch is written by itself on the next turn of the event loop', async () => {
  const h = new LogHandler(rules('log'), answering('hosts', []))
  h.serveDNS(testContext, new Recorder(), request('example.org'))
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(lines.length, 1)
})

test('{/log/plugin} names the plugin that wrote the answer', () => {
  const h = new LogHandler(rules('log . "{name} {/log/plugin} {rcode}"'), answering('cache', []))
  assert.deepEqual(logged(h, request('Example.ORG')), ['[INFO] example.org. cache NOERROR'])
})

test('nothing written: the line shows the reply the server will write', () => {
  const h = new LogHandler(
    rules('log . "{rcode} {>rflags} {rsize} {/log/plugin} {/log/class}"'),
    nextHandler(Rcode.Refused),
  )
  assert.equal(
    h.serveDNS(testContext, new Recorder(), request('example.org', 'A', { udpSize: 1232 })),
    Rcode.Refused,
  )
  flush()
  // 29: header and question, no OPT, as CoreDNS 1.14.7 logs it (the client then gets 40)
  assert.deepEqual(lines, ['[INFO] REFUSED qr,rd 29 - error'])
})

test('a returned error is logged as SERVFAIL and passed on; so is a rejected promise', async () => {
  const failing: Handler = {
    name: 'forward',
    serveDNS: () => {
      throw new PluginError('forward', 'no healthy upstream')
    },
  }
  const h = new LogHandler(rules('log . "{rcode} {rsize}"'), failing)
  assert.throws(() => h.serveDNS(testContext, new Recorder(), request('example.org')), PluginError)
  const rejecting: Handler = {
    name: 'forward',
    serveDNS: () => Promise.reject(new PluginError('forward', 'i/o timeout', Rcode.ServFail)),
  }
  const h2 = new LogHandler(rules('log . "{rcode} {rsize}"'), rejecting)
  await assert.rejects(
    Promise.resolve(h2.serveDNS(testContext, new Recorder(), request('example.org'))),
    /i\/o timeout/,
  )
  await assert.rejects(
    Promise.resolve(h2.serveDNS(testContext, new Recorder(), request('example.org', 'A', { udpSize: 1232 }))),
    /i\/o timeout/,
  )
  flush()
  // with EDNS too: the server's error reply gets the client's OPT after the log has sized it
  assert.deepEqual(lines, ['[INFO] SERVFAIL 29', '[INFO] SERVFAIL 29', '[INFO] SERVFAIL 29'])
})

test('no next plugin: SERVFAIL logged, the error thrown on', () => {
  const h = new LogHandler(rules('log'), undefined)
  assert.throws(
    () => h.serveDNS(testContext, new Recorder(), request('example.org')),
    /plugin\/log: no next plugin found/,
  )
  flush()
  assert.match(lines[0]!, /"A IN example\.org\. udp 29 false 512" SERVFAIL qr,rd 29 /)
})

test('an async answer is logged when it resolves, with its duration', async () => {
  const slow: Handler = {
    name: 'forward',
    serveDNS: (ctx, w, r) =>
      new Promise((resolve) =>
        setTimeout(() => resolve(answering('forward', []).serveDNS(ctx, w, r) as number), 20),
      ),
  }
  const h = new LogHandler(rules('log . "{rcode} {duration} {/log/plugin}"'), slow)
  assert.equal(await h.serveDNS(testContext, new Recorder(), request('example.org')), 0)
  flush()
  const [, secs] = /^\[INFO\] NOERROR (\S+)s forward$/.exec(lines[0]!) ?? []
  assert.ok(Number(secs) >= 0.015 && Number(secs) < 1, lines[0])
})

test('a dropped query (NOERROR, nothing written) logs "-"', () => {
  const h = new LogHandler(rules('log . "{rcode} {>rflags} {rsize}"'), nextHandler(Rcode.NoError))
  assert.deepEqual(logged(h, request('example.org')), ['[INFO] - - 0'])
})

test('name scopes: the first matching rule logs, other names pass through unlogged', () => {
  const h = new LogHandler(
    rules('log example.org "org {name}"\nlog Example.NET "net {name}"'),
    answering('whoami', []),
  )
  logged(h, request('www.example.org'))
  logged(h, request('example.net'))
  logged(h, request('example.com'))
  logged(h, request('notexample.org'))
  assert.deepEqual(lines, ['[INFO] org www.example.org.', '[INFO] net example.net.'])
})

test('classes: denial logs NXDOMAIN and NODATA only; error logs failures only', () => {
  const soa = 'example.org. 300 IN SOA ns.example.org. admin.example.org. 1 7200 3600 1209600 300'
  const denial = rules('log . "{rcode}" {\n class denial\n}')
  const error = rules('log . "{rcode}" {\n class error\n}')
  for (const r of [denial, error]) {
    logged(new LogHandler(r, answering('x', [], Rcode.NXDomain, [soa])), request('a.example.org'))
    logged(new LogHandler(r, answering('x', [], 0, [soa])), request('a.example.org'))
    logged(
      new LogHandler(r, answering('x', ['example.org. 1 IN A 192.0.2.1'])),
      request('example.org'),
    )
    logged(new LogHandler(r, nextHandler(Rcode.ServFail)), request('example.org'))
  }
  assert.deepEqual(lines, ['[INFO] NXDOMAIN', '[INFO] NOERROR', '[INFO] SERVFAIL'])
})

test('class all wins over the others, and several class lines add up', () => {
  const [all] = rules('log {\n class denial all\n}')
  assert.equal(all!.classes, undefined)
  const [two] = rules('log {\n class denial\n class success\n}')
  assert.deepEqual([...two!.classes!].sort(), ['denial', 'success'])
})

test('parse: names, formats and the one-argument quirk', () => {
  const e: Entry = {
    req: request('example.org'),
    remote: new Recorder().remote,
    local: new Recorder().local,
    wire: undefined,
    size: 0,
    writer: '',
    ns: 1,
  }
  const cases: [string, [string, string][]][] = [
    ['log', [['.', COMMON_FORMAT]]],
    ['log example.org', [['example.org.', COMMON_FORMAT]]],
    [
      'log example.org example.net',
      [
        ['example.org.', COMMON_FORMAT],
        ['example.net.', COMMON_FORMAT],
      ],
    ],
    ['log . {combined}', [['.', COMBINED_FORMAT]]],
    [
      'log a.org b.org {common}',
      [
        ['a.org.', COMMON_FORMAT],
        ['b.org.', COMMON_FORMAT],
      ],
    ],
    ['log {common}', [['{common}.', COMMON_FORMAT]]],
    ['log . "{type} {name}"', [['.', '{type} {name}']]],
  ]
  for (const [text, want] of cases) {
    const got = rules(text).map((r) => [r.scope, render(r.format, e)])
    assert.deepEqual(
      got,
      want.map(([scope, f]) => [scope, render(compileFormat(f), e)]),
      text,
    )
  }
})

test('parse errors point at the token', () => {
  const cases: [string, string, number, number, RegExp][] = [
    ['log {\n class\n}', 'COREFILE_ARGS', 3, 2, /wrong argument count/],
    ['log {\n class denial bogus\n}', 'COREFILE_VALUE', 3, 15, /invalid Class: bogus/],
    ['log {\n minDuration 1s\n}', 'COREFILE_UNKNOWN', 3, 2, /unknown property 'minDuration'/],
  ]
  for (const [text, code, line, col, msg] of cases) {
    assert.throws(
      () => rules(text),
      (err: CorefileError) =>
        err.code === code && err.line === line && err.col === col && msg.test(err.message),
      text,
    )
  }
})

test('a decoded reply written with writeMsg is recorded like bytes', () => {
  const h = new LogHandler(rules('log . "{rsize} {>rflags}"'), answering('whoami', []))
  const w = new Recorder()
  logged(h, request('example.org'), w)
  assert.equal(lines[0], `[INFO] ${w.wire!.length} qr,aa,rd`)
  assert.equal(dnsPacket.decode(Buffer.from(w.wire!)).id, 1234)
})
