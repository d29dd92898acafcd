// template CLASS TYPE [ZONE...] { match REGEX...; answer RR; additional RR; authority RR;
// rcode CODE; ederror CODE [REASON]; fallthrough [ZONE...]; upstream }
// Regexes are compiled by RE2 (re2js: linear time, Go syntax) and templates by our Go
// text/template compiler here, so every mistake is reported with its place in the Corefile.

import { RE2JS } from 're2js'
import type { Directive, Token } from '../../src/corefile/ast.ts'
import { args, nextArgs, options, rest, unknownProperty } from '../../src/corefile/args.ts'
import { CorefileError, type CorefileErrorCode, type Located } from '../../src/corefile/errors.ts'
import { normalizeZones } from '../../src/corefile/keys.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { rcodeFromName } from '../../src/plugin/rcode.ts'
import { Class, typeCode } from '../../src/plugin/rrtype.ts'
import { Fall } from '../../src/plugin/zones.ts'
import { dataType, groupNames } from './data.ts'
import { compileTemplate, TemplateSyntaxError } from './gotemplate/index.ts'
import { locate } from './locate.ts'
import {
  type Rule,
  type RrTemplate,
  type Section,
  type TemplateConfig,
  TemplateHandler,
} from './template.ts'

const NAME = 'template'
/** CoreDNS refuses longer regexes. */
const MAX_REGEX = 10000
const SECTIONS: readonly Section[] = ['answer', 'additional', 'authority']

const err = (code: CorefileErrorCode, at: Located, detail: string): CorefileError =>
  new CorefileError(code, at, detail, NAME)

export function parseTemplate(
  stanzas: readonly Directive[],
  blockZones: readonly string[],
): TemplateConfig {
  const rules = stanzas.map((d) => parseRule(d, blockZones))
  return { zones: [...new Set(rules.flatMap((r) => r.zones))], rules }
}

function parseRule(d: Directive, blockZones: readonly string[]): Rule {
  const a = args(d, 2, Infinity, NAME)
  const qclass = queryClass(a[0]!)
  const qtype = queryType(a[1]!)
  const zones = a.length > 2 ? normalizeZones(a.slice(2), NAME) : blockZones
  const regexes: RE2JS[] = []
  const texts: Record<Section, Token[]> = { answer: [], additional: [], authority: [] }
  let rcode = 0
  let ede: Uint8Array | undefined
  let fall = Fall.never
  for (const opt of options(d.block)) {
    switch (opt.name.text) {
      case 'match':
        for (const t of args(opt, 1, Infinity, NAME)) regexes.push(regex(t))
        break
      case 'answer':
      case 'additional':
      case 'authority':
        texts[opt.name.text].push(...args(opt, 1, Infinity, NAME))
        break
      case 'rcode':
        rcode = responseCode(nextArgs(opt, 1, NAME)[0]!)
        break
      case 'ederror': {
        const [code, reason] = args(opt, 1, 2, NAME)
        ede = edeOpt(edeCode(code!), reason?.text ?? '')
        break
      }
      case 'fallthrough':
        fall = Fall.of(normalizeZones(rest(opt, NAME), NAME))
        break
      case 'upstream':
        // deprecated in CoreDNS: CNAME targets are always looked up; arguments are ignored
        rest(opt, NAME)
        break
      case 'var':
      case 'expr':
        throw err(
          'COREFILE_UNSUPPORTED',
          opt.name,
          `'${opt.name.text}' (expr-lang expressions) is not supported by tsdns`,
        )
      default:
        throw unknownProperty(opt, NAME)
    }
  }
  if (regexes.length === 0) regexes.push(RE2JS.compile('.*'))
  const data = dataType(new Set(regexes.flatMap(groupNames)))
  const rrs: RrTemplate[] = SECTIONS.flatMap((section) =>
    texts[section].map((t) => ({ section, template: template(t, section, data) })),
  )
  return { zones, qclass, qtype, regexes, rrs, rcode, ede, fall }
}

/** miekg/dns StringToClass: a mnemonic, exactly as written (uppercase, no CLASSnnn). */
function queryClass(t: Token): number {
  if (Object.hasOwn(Class, t.text)) return Class[t.text as keyof typeof Class]
  const detail = `invalid query class '${t.text}', expecting IN, CH, HS, CS, NONE or ANY`
  throw err('COREFILE_VALUE', t, detail)
}

/** miekg/dns StringToType: a mnemonic, uppercase (no TYPEnnn). */
function queryType(t: Token): number {
  const plain = t.text === t.text.toUpperCase() && !/^TYPE\d/.test(t.text)
  const code = plain ? typeCode(t.text) : undefined
  if (code !== undefined) return code
  const detail = `invalid query type '${t.text}', expecting an RR type such as A, AAAA, PTR or ANY`
  throw err('COREFILE_VALUE', t, detail)
}

/** miekg/dns StringToRcode, uppercase; extended rcodes (> 15) would need an OPT to carry them. */
function responseCode(t: Token): number {
  const code = t.text === t.text.toUpperCase() ? rcodeFromName(t.text) : undefined
  if (code !== undefined && code <= 15) return code
  const detail = `unknown rcode '${t.text}', expecting e.g. NOERROR, NXDOMAIN, SERVFAIL or REFUSED`
  throw err('COREFILE_VALUE', t, detail)
}

function edeCode(t: Token): number {
  if (/^\d+$/.test(t.text) && Number(t.text) <= 0xffff) return Number(t.text)
  throw err(
    'COREFILE_VALUE',
    t,
    `invalid extended DNS error code '${t.text}', expecting 0 to 65535`,
  )
}

function regex(t: Token): RE2JS {
  if (t.text.length > MAX_REGEX) {
    throw err(
      'COREFILE_VALUE',
      t,
      `regex is ${t.text.length} characters long, the limit is ${MAX_REGEX}`,
    )
  }
  try {
    return RE2JS.compile(t.text)
  } catch (e) {
    throw err('COREFILE_VALUE', t, `could not parse regex: ${t.text}, ${(e as Error).message}`)
  }
}

function template(
  t: Token,
  section: Section,
  data: ReturnType<typeof dataType>,
): RrTemplate['template'] {
  try {
    return compileTemplate(t.text, section, data)
  } catch (e) {
    if (!(e instanceof TemplateSyntaxError)) throw e
    const detail = `could not compile ${section} template: ${e.message}`
    throw err('COREFILE_VALUE', locate(t, e.offset, e.length), detail)
  }
}

/** An OPT record (4096, DO, as CoreDNS's SetEdns0(4096, true)) with one RFC 8914 EDE option. */
function edeOpt(code: number, reason: string): Uint8Array {
  const text = Buffer.from(reason, 'utf8')
  const out = new Uint8Array(11 + 6 + text.length)
  const v = new DataView(out.buffer)
  v.setUint16(1, 41) // type OPT, after the root name
  v.setUint16(3, 4096)
  v.setUint16(7, 0x8000) // DO
  v.setUint16(9, 6 + text.length)
  v.setUint16(11, 15) // option EDE
  v.setUint16(13, 2 + text.length)
  v.setUint16(15, code)
  out.set(text, 17)
  return out
}

export default definePlugin<TemplateConfig>({
  name: NAME,
  parse: (stanzas, ctx) => parseTemplate(stanzas, ctx.zones),
  setup: (cfg) => (next, chain) => new TemplateHandler(cfg, next, chain),
})
