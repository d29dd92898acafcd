import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_SUFFIXES, SearchPath } from './searchpath.ts'

test('search-list expansions of external names, not Services or SRV names', () => {
  const s = new SearchPath(DEFAULT_SUFFIXES)
  const cases: Array<[string, string | undefined]> = [
    ['api.github.com.default.svc.cluster.local.', 'api.github.com'],
    ['google.com.kube-system.svc.cluster.local.', 'google.com'],
    ['google.com.cluster.local.', 'google.com'],
    ['api.github.com.cluster.local.', 'api.github.com'],
    ['kubernetes.default.svc.cluster.local.', undefined], // a Service
    ['missing.default.svc.cluster.local.', undefined], // a missing Service is not waste
    ['_http._tcp.web.default.svc.cluster.local.', undefined],
    ['cluster.local.', undefined],
    ['example.com.', undefined],
    ['x.cluster.local.', undefined],
  ]
  for (const [name, from] of cases) assert.equal(s.expandedFrom(name), from, name)
})

test('configured suffixes', () => {
  const s = new SearchPath(['svc.k8s.internal.', 'k8s.internal.'])
  assert.equal(s.expandedFrom('pypi.org.ci.svc.k8s.internal.'), 'pypi.org')
  assert.equal(s.expandedFrom('pypi.org.cluster.local.'), undefined)
})

test('under svc.<domain>, the whole NAME when the client already wasted it; never a Service', () => {
  const s = new SearchPath(DEFAULT_SUFFIXES)
  const wasted = new Set(['10.0.0.9 api.github.com', '10.0.0.9 web.prod'])
  const held = (client: string, from: string) => wasted.has(`${client} ${from}`)
  assert.equal(s.expandedFrom('api.github.com.svc.cluster.local.', '10.0.0.9', held), 'api.github.com')
  assert.equal(s.expandedFrom('api.github.com.svc.cluster.local.', '10.0.0.7', held), 'api.github')
  assert.equal(s.expandedFrom('api.github.com.svc.cluster.local.'), 'api.github')
  // web.prod.<ns>.svc.cluster.local was waste, but web.prod.svc.cluster.local is Service web in
  // namespace prod: however the client's list reads, a two-label NAME never counts
  assert.equal(s.expandedFrom('web.prod.svc.cluster.local.', '10.0.0.9', held), undefined)
  assert.equal(s.expandedFrom('google.com.svc.cluster.local.', '10.0.0.9', () => true), undefined)
  // the first expansion (the namespace entry) reads as before: the list holds no api.github.com.default
  assert.equal(s.expandedFrom('api.github.com.default.svc.cluster.local.', '10.0.0.9', held), 'api.github.com')
})
