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
