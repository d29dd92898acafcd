// What a template sees: CoreDNS's templateData (.Zone .Name .Regex .Match .Group .Class .Type
// .Message .Question .Remote), with its static type for the compiler. The regex submatches and
// the message views are computed only when a template reads them.

import type { RE2JS } from 're2js'
import type { Request } from '../../src/plugin/plugin.ts'
import { className, typeName } from '../../src/plugin/rrtype.ts'
import { BOOL, INT, STRING, type Type, type Value } from './gotemplate/types.ts'

interface QuestionValue {
  readonly Name: string
  readonly Qtype: bigint
  readonly Qclass: bigint
}

const questionFields = { Name: STRING, Qtype: INT, Qclass: INT }

/** *dns.Question prints through its String method: `;example.org.\tIN\t A`. */
const QUESTION: Type = {
  kind: 'struct',
  name: '*dns.Question',
  fields: questionFields,
  print: (v) => {
    const q = v as QuestionValue
    return `;${q.Name}\t${className(Number(q.Qclass))}\t ${typeName(Number(q.Qtype))}`
  },
}

const MESSAGE: Type = {
  kind: 'struct',
  name: '*dns.Msg',
  fields: {
    Id: INT,
    Response: BOOL,
    Opcode: INT,
    Authoritative: BOOL,
    Truncated: BOOL,
    RecursionDesired: BOOL,
    RecursionAvailable: BOOL,
    Zero: BOOL,
    AuthenticatedData: BOOL,
    CheckingDisabled: BOOL,
    Rcode: INT,
    // dns.Question values have no String method in Go: print their fields
    Question: {
      kind: 'list',
      name: '[]dns.Question',
      elem: { kind: 'struct', name: 'dns.Question', fields: questionFields },
    },
  },
}

/** The type of the data for templates whose match regexes define these group names. */
export function dataType(groups: ReadonlySet<string>): Type {
  return {
    kind: 'struct',
    name: '*template.templateData',
    fields: {
      Zone: STRING,
      Name: STRING,
      Regex: STRING,
      Match: { kind: 'list', name: '[]string', elem: STRING },
      Group: {
        kind: 'map',
        name: 'map[string]string',
        elem: STRING,
        keys: groups,
        unknownKey: "no match regex of this template has a group named '%s'",
      },
      Class: STRING,
      Type: STRING,
      Message: MESSAGE,
      Question: QUESTION,
      Remote: STRING,
    },
  }
}

/** Group names a regex gives .Group: its numbers ("0" is the whole match) and its names. */
export function groupNames(re: RE2JS): string[] {
  return [
    ...Array.from({ length: re.groupCount() + 1 }, (_, i) => String(i)),
    ...Object.keys(re.namedGroups()),
  ]
}

// Field names are Go's: templates read them by these names.
export class TemplateData {
  readonly Zone: string
  readonly Name: string
  readonly Class: string
  readonly Type: string
  readonly Remote: string
  readonly #re: RE2JS
  readonly #req: Request
  #match: string[] | undefined
  #group: Map<string, string> | undefined

  constructor(zone: string, re: RE2JS, req: Request, klass: string, type: string, remote: string) {
    this.Zone = zone
    this.Name = req.name
    this.Class = klass
    this.Type = type
    this.Remote = remote
    this.#re = re
    this.#req = req
  }

  get Regex(): string {
    return this.#re.pattern()
  }

  get Match(): readonly string[] {
    if (this.#match === undefined) this.#submatch()
    return this.#match!
  }

  get Group(): ReadonlyMap<string, string> {
    if (this.#group === undefined) this.#submatch()
    return this.#group!
  }

  get Question(): QuestionValue {
    return { Name: this.#req.qname, Qtype: BigInt(this.#req.type), Qclass: BigInt(this.#req.class) }
  }

  get Message(): Readonly<Record<string, Value>> {
    const f = this.#req.flags
    return {
      Id: BigInt(this.#req.id),
      Response: (f & 0x8000) !== 0,
      Opcode: BigInt((f >>> 11) & 0xf),
      Authoritative: (f & 0x0400) !== 0,
      Truncated: (f & 0x0200) !== 0,
      RecursionDesired: (f & 0x0100) !== 0,
      RecursionAvailable: (f & 0x0080) !== 0,
      Zero: (f & 0x0040) !== 0,
      AuthenticatedData: (f & 0x0020) !== 0,
      CheckingDisabled: (f & 0x0010) !== 0,
      Rcode: BigInt(f & 0xf),
      // the accept filter lets only one question through
      Question: [this.Question],
    }
  }

  /** Go's FindStringSubmatch: numbered groups, then named ones; a group that took no part is "". */
  #submatch(): void {
    const m = this.#re.matcher(this.Name)
    m.find()
    const match: string[] = []
    const group = new Map<string, string>()
    for (let i = 0; i <= m.groupCount(); i++) {
      const g = m.group(i) ?? ''
      match.push(g)
      group.set(String(i), g)
    }
    for (const [name, i] of Object.entries(this.#re.namedGroups())) group.set(name, match[i] ?? '')
    this.#match = match
    this.#group = group
  }
}
