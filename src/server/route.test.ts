// DnsServer.route looks a name's suffixes up only at the depths its zones have. Checked here
// against the plain walk over every suffix (CoreDNS core/dnsserver/server.go ServeDNS), for
// hand-picked names and for random zone sets and names.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { Handler } from '../plugin/plugin.ts'
import { Type } from '../plugin/rrtype.ts'
import { DnsServer } from './server.ts'

const handler: Handler = { name: 'test', serveDNS: () => 0 }

/** Zones given as [name, has plugins]. */
function server(zones: readonly (readonly [string, boolean])[]): DnsServer {
  const s = new DnsServer({ host: '', port: 53, allowOtherClasses: false })
  for (const [z, plugins] of zones) s.addZone(z, plugins ? handler : undefined)
  return s
}

/** Where each label of a presentation-format name starts, as miekg's NextLabel walks it. */
function labelStarts(name: string): number[] {
  const starts = [0]
  for (let i = 0; i < name.length - 1; i++) {
    if (name[i] === '\\') i++
    else if (name[i] === '.') starts.push(i + 1)
  }
  return starts
}

/**
 * CoreDNS's walk: every suffix starting at a label, longest first; DS keeps going for the
 * parent; then the root.
 */
function reference(zones: ReadonlyMap<string, boolean>, name: string, type: number): string | undefined {
  let ds: string | undefined
  for (const off of name === '.' ? [0] : labelStarts(name)) {
    const zone = name.slice(off)
    const plugins = zones.get(zone)
    if (plugins !== undefined) {
      if (type !== Type.DS || !plugins) return zone
      ds = zone
    }
  }
  if (ds !== undefined) return ds
  return zones.get('.') === true ? '.' : undefined
}

test('route: search-path names reach their zone; the root takes the rest', () => {
  const s = server([['.', true], ['cluster.local.', true], ['in-addr.arpa.', true], ['ip6.arpa.', true]])
  const zone = (name: string) => s.route(name, Type.A)?.zone
  assert.equal(zone('www.example.com.default.svc.cluster.local.'), 'cluster.local.')
  assert.equal(zone('cluster.local.'), 'cluster.local.')
  assert.equal(zone('local.'), '.')
  assert.equal(zone('10.0.96.10.in-addr.arpa.'), 'in-addr.arpa.')
  assert.equal(zone('www.example.com.'), '.')
  assert.equal(zone('.'), '.')
})

test('route: zones of several depths, added in any order; DS prefers the parent', () => {
  const s = server([['b.c.example.', true], ['example.', true], ['a.b.c.example.', true], ['c.example.', false]])
  const zone = (name: string, type: number = Type.A) => s.route(name, type)?.zone
  assert.equal(zone('x.a.b.c.example.'), 'a.b.c.example.')
  assert.equal(zone('x.b.c.example.'), 'b.c.example.')
  assert.equal(zone('x.c.example.'), 'c.example.', 'a zone without plugins ends the walk')
  assert.equal(zone('x.example.'), 'example.')
  assert.equal(zone('a.b.c.example.', Type.DS), 'c.example.', 'DS walks on and stops at the block without plugins')
  assert.equal(zone('example.'), 'example.')
  assert.equal(zone('example.org.'), undefined)
  assert.equal(zone('.'), undefined)
})

test('route: an escaped dot is part of its label, as in CoreDNS', () => {
  const s = server([['.', true], ['cluster.local.', true], ['local.', true]])
  const zone = (name: string) => s.route(name, Type.A)?.zone
  assert.equal(zone('evil\\.cluster.local.'), 'local.')
  assert.equal(zone('a.evil\\.cluster.local.'), 'local.')
  assert.equal(zone('a\\\\.cluster.local.'), 'cluster.local.', 'an escaped backslash before a real dot')
  assert.equal(zone('foo\\..'), '.')
})

test('route: the same zone as CoreDNS\'s walk over every suffix, for random zones and names', () => {
  const label = fc.constantFrom('a', 'b', 'c', 'svc', 'local', 'a\\.b', 'x\\\\', 'c\\.')
  const name = fc.array(label, { minLength: 0, maxLength: 7 }).map((l) => (l.length === 0 ? '.' : `${l.join('.')}.`))
  const zones = fc.uniqueArray(fc.tuple(name, fc.boolean()), { maxLength: 6, selector: ([z]) => z })
  fc.assert(
    fc.property(zones, name, fc.constantFrom(Type.A, Type.DS), (zs, n, type) => {
      const s = server(zs)
      assert.equal(s.route(n, type)?.zone, reference(new Map(zs), n, type))
    }),
    { numRuns: 2000 },
  )
})
