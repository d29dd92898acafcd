// The Corefile kubeadm installs for the cluster's CoreDNS: tsdns reads all of it and refuses only
// the kubernetes plugin, with a located "not supported" error that says what to do instead.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CorefileError, CorefileErrors } from '../src/corefile/errors.ts'
import { loadCorefile } from '../src/corefile/load.ts'
import { Instance } from '../src/server/instance.ts'
import { setLogSink } from '../src/plugin/log.ts'
import { KUBEADM } from '../src/corefile/fixtures.test.ts'

setLogSink(() => {})

const kubeadm = KUBEADM

test('kubeadm Corefile: the one error is kubernetes, not supported, located', () => {
  const { blocks } = loadCorefile({ file: 'Corefile', text: kubeadm })
  let caught: unknown
  try {
    Instance.build(blocks, { defaultPort: 53, dir: '.' })
  } catch (err) {
    caught = err
  }
  const errors = caught instanceof CorefileErrors ? caught.errors : [caught]
  assert.equal(errors.length, 1, `only one error expected, got: ${String(caught)}`)
  const e = errors[0]
  assert.ok(e instanceof CorefileError)
  assert.equal(e.code, 'COREFILE_UNSUPPORTED')
  assert.deepEqual([e.line, e.col], [7, 5])
  assert.match(e.message, /^Corefile:7:5 - plugin\/kubernetes: not supported by tsdns \(.*forward to it\)$/)
  assert.match(e.render(kubeadm), /\n 7 \|     kubernetes cluster\.local.*\n   \|     \^{10}$/)
})

test('an unknown directive is a different error from an unsupported plugin', () => {
  const { blocks } = loadCorefile({ file: 'Corefile', text: '. {\n    frobnicate\n    etcd\n}\n' })
  assert.throws(
    () => Instance.build(blocks, { defaultPort: 53, dir: '.' }),
    (err: unknown) => {
      assert.ok(err instanceof CorefileErrors)
      assert.deepEqual(
        err.errors.map((e) => [e.code, e.line, e.detail]),
        [
          ['COREFILE_UNKNOWN', 2, "unknown directive 'frobnicate'"],
          ['COREFILE_UNSUPPORTED', 3, 'not supported by tsdns (it serves node-local caching; keep etcd-backed zones on CoreDNS and forward to them)'],
        ],
      )
      return true
    },
  )
})
