// The Kubernetes manifests in manifests/ parse, validate against the Kubernetes schemas (types,
// required fields and, through the TypeScript types, unknown fields), and agree with the
// Corefile each one serves: what the pod binds, probes and exposes is what tsdns listens on.
// Also the Dockerfile's shape, which cannot be built here (no container engine).

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join, posix, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { parseAllDocuments } from 'yaml'
import { DaemonSet, type IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet'
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { Pod, type IPod } from 'kubernetes-models/v1/Pod'
import { Service, type IService } from 'kubernetes-models/v1/Service'
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import type { IContainer } from 'kubernetes-models/v1/Container'
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec'
import type { IProbe } from 'kubernetes-models/v1/Probe'
import type { Directive } from '../src/corefile/ast.ts'
import { loadCorefile } from '../src/corefile/load.ts'
import { renderCorefile } from '../src/nodecache/pillar.ts'
import { IMAGE_HEAP_FLAGS } from './helpers/tsdns.ts'
import { stages, type Stage } from './helpers/dockerfile.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const manifests = join(root, 'manifests')
const read = (path: string) => readFileSync(join(root, path), 'utf8')

// ---- Kubernetes objects: YAML, schema, unknown fields

type Doc = Record<string, unknown> & { apiVersion?: string; kind?: string }

/** Every document of a YAML stream; any YAML error or warning fails. */
function yamlDocs(text: string, name: string): Doc[] {
  return parseAllDocuments(text).map((d, i) => {
    assert.deepEqual([...d.errors, ...d.warnings].map((e) => e.message), [], `${name} document ${i + 1}`)
    return d.toJS() as Doc
  })
}

/** The schema validator and the TypeScript interface of each kind the manifests use. */
const kinds: Record<string, { validate(doc: Doc): void; module: string; type: string }> = {
  'v1/Pod': { validate: (d) => new Pod(d as never).validate(), module: 'v1/Pod', type: 'IPod' },
  'v1/Service': { validate: (d) => new Service(d as never).validate(), module: 'v1/Service', type: 'IService' },
  'v1/ServiceAccount': {
    validate: (d) => new ServiceAccount(d as never).validate(),
    module: 'v1/ServiceAccount',
    type: 'IServiceAccount',
  },
  'v1/ConfigMap': { validate: (d) => new ConfigMap(d as never).validate(), module: 'v1/ConfigMap', type: 'IConfigMap' },
  'apps/v1/DaemonSet': {
    validate: (d) => new DaemonSet(d as never).validate(),
    module: 'apps/v1/DaemonSet',
    type: 'IDaemonSet',
  },
}

function kindOf(doc: Doc): string {
  return `${doc.apiVersion}/${doc.kind}`
}

/**
 * The JSON schemas of kubernetes-models accept fields they do not know (a misspelt
 * `livenesProbe` would pass and be dropped by the API server), so each object is also
 * type-checked against the package's TypeScript interface, whose object literals reject them.
 */
function unknownFieldErrors(docs: readonly Doc[]): string[] {
  const file = join(root, 'test', '__manifests_typecheck__.ts')
  const lines: string[] = []
  docs.forEach((d, i) => {
    const k = kinds[kindOf(d)]!
    lines.push(`import type { ${k.type} as T${i} } from 'kubernetes-models/${k.module}'`)
    lines.push(`export const m${i}: T${i} = ${JSON.stringify(d)}`)
  })
  const src = lines.join('\n')
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  host.getSourceFile = (f, lang, ...rest) => (f === file ? ts.createSourceFile(f, src, lang) : getSourceFile(f, lang, ...rest))
  host.fileExists = (f) => f === file || fileExists(f)
  const program = ts.createProgram([file], options, host)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1
    const doc = at >= 0 ? docs[Math.floor(at / 2)] : undefined
    const name = doc ? `${kindOf(doc)} ${(doc.metadata as { name?: string } | undefined)?.name}` : '?'
    return `${name}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`
  })
}

/** Every object validated, for the one type-check of them all (a program costs ~2 s). */
const validated: Doc[] = []

function validate(docs: readonly Doc[], name: string): void {
  for (const d of docs) {
    const k = kinds[kindOf(d)]
    assert.ok(k, `${name}: no validator for ${kindOf(d)}; add one to this test`)
    k.validate(d)
    validated.push(d)
  }
}

// ---- the Corefile a pod serves

interface Served {
  readonly ports: ReadonlySet<number>
  readonly bind: ReadonlySet<string>
  readonly health: string
  readonly ready: string | undefined
  readonly prometheus: ReadonlySet<string>
  /** First-block zone (the cluster domain) and its forward targets. */
  readonly clusterDomain: string
  readonly clusterForward: readonly string[]
}

function lines(ds: readonly Directive[], name: string): Directive[] {
  return ds.filter((d) => d.name.text === name)
}

function served(text: string, file: string): Served {
  const loaded = loadCorefile({ file, text }, { env: {} })
  const all = loaded.blocks.flatMap((b) => b.directives)
  const single = (name: string) => {
    const found = new Set(lines(all, name).map((d) => d.args.map((a) => a.text).join(' ')))
    assert.ok(found.size <= 1, `${file}: one ${name} address expected, got ${[...found].join(', ')}`)
    return [...found][0]
  }
  const bindSets = loaded.blocks.map((b) => lines(b.directives, 'bind').flatMap((d) => d.args.map((a) => a.text)).sort().join(' '))
  assert.equal(new Set(bindSets).size, 1, `${file}: every block binds the same addresses`)
  const first = loaded.blocks[0]!
  const health = single('health')
  assert.ok(health, `${file}: no health address`)
  return {
    ports: new Set(loaded.listenKeys.flat().map((k) => k.port)),
    bind: new Set(bindSets[0]!.split(' ').filter((a) => a !== '')),
    health,
    ready: single('ready'),
    prometheus: new Set(lines(all, 'prometheus').map((d) => d.args[0]!.text)),
    clusterDomain: loaded.listenKeys[0]![0]!.zone,
    clusterForward: lines(first.directives, 'forward').flatMap((d) => d.args.slice(1).map((a) => a.text)),
  }
}

function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':')
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) }
}

// ---- pods

/** Go-style flags as tsdns takes them: -name value, or -name=value, or a bare boolean. */
const BOOLEAN_FLAGS = new Set(['setupinterface', 'setupiptables', 'skipteardown', 'reloadwithsignal', 'quiet'])

function flags(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    assert.match(a, /^-[a-z]/, `argument '${a}' is not a flag`)
    const body = a.slice(1)
    const eq = body.indexOf('=')
    if (eq >= 0) out.set(body.slice(0, eq), body.slice(eq + 1))
    else if (BOOLEAN_FLAGS.has(body)) out.set(body, 'true')
    else {
      assert.ok(i + 1 < args.length, `flag ${a} has no value`)
      out.set(body, args[++i]!)
    }
  }
  return out
}

function only<T>(items: readonly T[] | undefined, what: string): T {
  assert.equal(items?.length, 1, `exactly one ${what}`)
  return items[0]!
}

function mountOf(spec: IPodSpec, c: IContainer, path: string) {
  const m = (c.volumeMounts ?? []).find((vm) => path === vm.mountPath || path.startsWith(`${vm.mountPath}/`))
  assert.ok(m, `${path} is on no volume mount`)
  const v = (spec.volumes ?? []).find((vol) => vol.name === m.name)
  assert.ok(v, `volume ${m.name} is not defined`)
  return { mount: m, volume: v }
}

function probe(p: IProbe | undefined, what: string): { host: string; port: number; path: string } {
  assert.ok(p?.httpGet, `${what} is an httpGet probe`)
  const { host, port, path } = p.httpGet
  assert.ok(host !== undefined && typeof port === 'number' && path !== undefined, `${what} names host, port and path`)
  return { host, port, path }
}

/** What a tsdns pod declares must be what its Corefile serves. */
function checkPodAgainstCorefile(spec: IPodSpec, annotations: Record<string, string> | undefined, s: Served,
  opts: { dnsPorts: boolean }): Map<string, string> {
  const c = only(spec.containers, 'container')
  const f = flags(c.args ?? [])

  assert.deepEqual(new Set(f.get('localip')?.split(',')), s.bind, '-localip holds what the Corefile binds')
  assert.equal(Number(f.get('health-port') ?? 8080), hostPort(s.health).port, '-health-port is the health port')

  const live = probe(c.livenessProbe, 'liveness')
  assert.deepEqual(live, { ...hostPort(s.health), path: '/health' }, 'liveness asks health where it listens')
  assert.ok(s.bind.has(live.host), 'health listens on a local address tsdns holds')
  const ready = probe(c.readinessProbe, 'readiness')
  assert.equal(ready.path, '/ready')
  if (s.ready !== undefined) assert.deepEqual(ready, { ...hostPort(s.ready), path: '/ready' })

  const ports = c.ports ?? []
  const metrics = ports.filter((p) => p.name === 'metrics').map((p) => p.containerPort)
  assert.deepEqual(new Set(metrics), new Set([...s.prometheus].map((a) => hostPort(a).port)), 'metrics port')
  assert.equal(annotations?.['prometheus.io/port'], String(metrics[0]))
  const dns = ports.filter((p) => p.name !== 'metrics').map((p) => `${p.containerPort}/${p.protocol}`).sort()
  const expected = [...s.ports].flatMap((p) => [`${p}/TCP`, `${p}/UDP`]).sort()
  assert.deepEqual(dns, opts.dnsPorts ? expected : [], 'DNS ports declared')

  // where the Corefile comes from and where the rendered one and the pidfile go
  const base = f.get('basecorefile')
  assert.ok(base, '-basecorefile')
  assert.equal(mountOf(spec, c, base).mount.readOnly, true, 'the Corefile template is mounted read-only')
  for (const flag of ['conf', 'pidfile']) {
    const path = f.get(flag)
    assert.ok(path, `-${flag}`)
    assert.ok(mountOf(spec, c, path).volume.emptyDir, `-${flag} is written to an emptyDir`)
  }
  assert.ok(mountOf(spec, c, '/run/xtables.lock').volume.hostPath, 'the host xtables lock is shared')
  return f
}

function checkNodeCritical(spec: IPodSpec, c: IContainer): void {
  assert.equal(spec.hostNetwork, true)
  assert.equal(spec.dnsPolicy, 'Default', 'tsdns resolves through the node, never through itself')
  assert.equal(spec.priorityClassName, 'system-node-critical')
  const sc = c.securityContext
  assert.ok(sc)
  const f = flags(c.args ?? [])
  const nodeSetup = f.get('setupinterface') !== 'false' || f.get('setupiptables') !== 'false'
  assert.deepEqual(sc.capabilities, { drop: ['ALL'], add: nodeSetup ? ['NET_ADMIN', 'NET_BIND_SERVICE'] : ['NET_BIND_SERVICE'] })
  assert.equal(sc.readOnlyRootFilesystem, true)
  assert.equal(sc.allowPrivilegeEscalation, false)
  assert.equal(sc.privileged, undefined)
  assert.equal(sc.seccompProfile?.type, 'RuntimeDefault')
  const { requests, limits } = c.resources ?? {}
  assert.ok(requests?.memory && limits?.memory && requests.cpu, 'memory request and limit, cpu request')
  assert.ok(mebibytes(limits.memory) >= 2 * mebibytes(requests.memory), 'the limit leaves room above the request')
  assert.equal(limits.cpu, undefined, 'no CPU limit: throttling a DNS cache costs latency on every query')
}

function mebibytes(q: string | number): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(String(q))
  assert.ok(m, `memory quantity ${q} in Mi or Gi`)
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1)
}

function imageTag(c: IContainer): string {
  return c.image?.split(':').at(-1) ?? ''
}

const pkg = JSON.parse(read('package.json')) as {
  version: string; scripts: Record<string, string>; bin: Record<string, string> }
const nodeLocal = served(read('corefiles/node-local.Corefile'), 'corefiles/node-local.Corefile')

function loadPod(path: string): IPod {
  const docs = yamlDocs(read(path), path)
  validate(docs, path)
  return only(docs, `object in ${path}`) as unknown as IPod
}

// ---- the static pod

const staticPod = loadPod('manifests/static-pod/tsdns.yaml')

test('static pod: serves corefiles/node-local.Corefile as it is', () => {
  const c = staticPod.spec!.containers[0]!
  const f = checkPodAgainstCorefile(staticPod.spec!, staticPod.metadata?.annotations, nodeLocal, { dnsPorts: true })
  assert.equal(f.get('basecorefile'), '/etc/tsdns/Corefile')
  assert.equal(mountOf(staticPod.spec!, c, '/etc/tsdns/Corefile').volume.hostPath?.path, '/etc/tsdns')
  assert.equal(f.has('skipteardown'), false, 'the single static pod tears its rules down when it stops')
})

test('static pod: node-critical, least privilege, sized', () => {
  assert.equal(staticPod.metadata?.namespace, 'kube-system', 'system-node-critical needs kube-system')
  checkNodeCritical(staticPod.spec!, staticPod.spec!.containers[0]!)
  assert.equal(imageTag(staticPod.spec!.containers[0]!), pkg.version, 'the image of this version')
})

test('static pod: the Service it forwards the cluster domain to is the one pinned beside it', () => {
  const path = 'manifests/static-pod/kube-dns-upstream.yaml'
  const docs = yamlDocs(read(path), path)
  validate(docs, path)
  const svc = only(docs, 'Service') as unknown as IService
  assert.deepEqual(nodeLocal.clusterForward, [svc.spec?.clusterIP], 'forward target = pinned clusterIP')
  assert.deepEqual(svc.spec?.selector, { 'k8s-app': 'kube-dns' })
  assert.deepEqual(svc.spec?.ports?.map((p) => `${p.port}/${p.protocol}`), ['53/UDP', '53/TCP'])
})

// ---- the HA pair

const standby = loadPod('manifests/ha-pair/tsdns-standby.yaml')
const standbyCorefile = execFileSync('sed', ['-E', '-f', join(manifests, 'ha-pair/standby.sed'),
  join(root, 'corefiles/node-local.Corefile')], { encoding: 'utf8' })

test('HA standby: serves the Corefile standby.sed makes, on the primary\'s addresses', () => {
  const s = served(standbyCorefile, 'Corefile.standby')
  assert.deepEqual(s.bind, nodeLocal.bind, 'the same DNS sockets (reusePort)')
  assert.deepEqual(s.ports, nodeLocal.ports)
  assert.notDeepEqual(s.prometheus, nodeLocal.prometheus, 'its own metrics port')
  assert.notEqual(hostPort(s.health).port, hostPort(nodeLocal.health).port, 'its own health port')
  const f = checkPodAgainstCorefile(standby.spec!, standby.metadata?.annotations, s, { dnsPorts: false })
  assert.equal(f.get('basecorefile'), '/etc/tsdns/Corefile.standby')
  assert.equal(f.get('skipteardown'), 'true', 'stopping the standby leaves rules and interface to the primary')
  checkNodeCritical(standby.spec!, standby.spec!.containers[0]!)
})

test('static pod and HA standby: the readiness probe asks ready where the Corefile serves it', () => {
  const pairs: [IPod, Served][] = [[staticPod, nodeLocal], [standby, served(standbyCorefile, 'Corefile.standby')]]
  for (const [pod, s] of pairs) {
    assert.ok(s.ready, `${pod.metadata?.name}: the Corefile has ready`)
    assert.deepEqual(probe(pod.spec!.containers[0]!.readinessProbe, 'readiness'), { ...hostPort(s.ready), path: '/ready' })
  }
})

test('HA standby: no host port in common with the primary (the kubelet would refuse it)', () => {
  const ports = (p: IPod) => new Set(p.spec!.containers.flatMap((c) => (c.ports ?? []).map((x) => `${x.containerPort}/${x.protocol}`)))
  const common = [...ports(standby)].filter((p) => ports(staticPod).has(p))
  assert.deepEqual(common, [])
  assert.notEqual(standby.metadata?.name, staticPod.metadata?.name)
})

test('HA standby: differs from the primary only where it must', () => {
  const strip = (p: IPod) => {
    const c = p.spec!.containers[0]!
    const f = flags(c.args ?? [])
    for (const k of ['basecorefile', 'health-port', 'skipteardown', 'syncinterval']) f.delete(k)
    return {
      ...p,
      metadata: { ...p.metadata, name: undefined, labels: { ...p.metadata?.labels, 'app.kubernetes.io/component': undefined }, annotations: undefined },
      spec: { ...p.spec, containers: [{ ...c, args: Object.fromEntries(f), ports: undefined, livenessProbe: undefined, readinessProbe: undefined }] },
    }
  }
  assert.deepEqual(strip(standby), strip(staticPod))
})

// ---- the DaemonSet variant

const daemonsetText = read('manifests/daemonset/tsdns.yaml')
const KUBE_DNS = '10.96.0.10'
const UPSTREAM_SVC_IP = '10.96.0.11'

/** The operator's sed of the file's header, per kube-proxy mode. */
const modes: Record<string, readonly [string, string][]> = {
  iptables: [['__PILLAR__LOCAL__DNS__', '169.254.20.10'], ['__PILLAR__DNS__DOMAIN__', 'cluster.local'], ['__PILLAR__DNS__SERVER__', KUBE_DNS]],
  ipvs: [['__PILLAR__LOCAL__DNS__', '169.254.20.10'], ['__PILLAR__DNS__DOMAIN__', 'cluster.local'], [',__PILLAR__DNS__SERVER__', ''], ['__PILLAR__DNS__SERVER__', '']],
}

test('DaemonSet: the header documents exactly the substitutions tested here', () => {
  for (const [mode, subs] of Object.entries(modes)) {
    for (const [from] of subs) assert.ok(daemonsetText.includes(`s/${from}/`), `${mode}: s/${from}/ in the header`)
  }
})

for (const [mode, subs] of Object.entries(modes)) {
  test(`DaemonSet (${mode} mode): validates and agrees with the Corefile node-cache mode renders`, () => {
    const text = subs.reduce((t, [from, to]) => t.replaceAll(from, to), daemonsetText)
    const docs = yamlDocs(text, `daemonset/tsdns.yaml (${mode})`)
    validate(docs, `daemonset/tsdns.yaml (${mode})`)
    const find = <T>(kind: string, name: string) => {
      const d = docs.find((x) => x.kind === kind && (x.metadata as { name: string }).name === name)
      assert.ok(d, `${kind} ${name}`)
      return d as unknown as T
    }
    const ds = find<IDaemonSet>('DaemonSet', 'node-local-dns')
    const cm = find<IConfigMap>('ConfigMap', 'node-local-dns')
    const spec = ds.spec!.template.spec!
    const c = only(spec.containers, 'container')
    const f = flags(c.args ?? [])

    // what node-cache mode does at start: fill the runtime placeholders, as tsdns will
    const rendered = renderCorefile(cm.data!.Corefile!, {
      localIPs: f.get('localip')!.split(','),
      localPort: 53,
      clusterDns: UPSTREAM_SVC_IP,
      kubeDns: { stubDomains: new Map(), upstreamNameservers: [] },
    }).text
    assert.doesNotMatch(rendered, /__PILLAR__/)
    const s = served(rendered, `ConfigMap node-local-dns (${mode})`)
    checkPodAgainstCorefile(spec, ds.spec!.template.metadata?.annotations, s, { dnsPorts: true })
    assert.ok(s.ready, 'the ConfigMap\'s Corefile has ready')
    checkNodeCritical(spec, c)
    assert.deepEqual(s.bind, new Set(mode === 'iptables' ? ['169.254.20.10', KUBE_DNS] : ['169.254.20.10']))

    // the template comes from the ConfigMap, the stubDomains from kube-dns's, both as files
    const base = mountOf(spec, c, f.get('basecorefile')!)
    assert.equal(base.volume.configMap?.name, cm.metadata?.name)
    assert.deepEqual(base.volume.configMap?.items, [{ key: 'Corefile', path: posix.basename(f.get('basecorefile')!) }])
    assert.equal(base.mount.mountPath, posix.dirname(f.get('basecorefile')!))
    const kubedns = mountOf(spec, c, f.get('kubednscm')!)
    assert.deepEqual(kubedns.volume.configMap, { name: 'kube-dns', optional: true })

    // the upstream Service node-cache mode reads from the environment, and the metrics Service
    const upstream = find<IService>('Service', f.get('upstreamsvc')!)
    assert.deepEqual(upstream.spec?.selector, { 'k8s-app': 'kube-dns' })
    assert.equal(find<{ kind: string }>('ServiceAccount', spec.serviceAccountName!).kind, 'ServiceAccount')
    const metrics = find<IService>('Service', 'node-local-dns')
    assert.equal(metrics.spec?.clusterIP, 'None')
    assert.deepEqual(metrics.spec?.selector, ds.spec!.selector.matchLabels)
    assert.deepEqual(metrics.spec?.ports?.map((p) => p.port), [...s.prometheus].map((a) => hostPort(a).port))
    for (const [k, v] of Object.entries(ds.spec!.selector.matchLabels ?? {})) {
      assert.equal(ds.spec!.template.metadata?.labels?.[k], v, 'the selector selects the template')
    }
    assert.equal(imageTag(c), pkg.version)
  })
}

test('DaemonSet: serves what the static pod serves (iptables mode, same cluster)', () => {
  const text = modes.iptables!.reduce((t, [from, to]) => t.replaceAll(from, to), daemonsetText)
  const cm = yamlDocs(text, 'daemonset').find((d) => d.kind === 'ConfigMap') as unknown as IConfigMap
  const rendered = renderCorefile(cm.data!.Corefile!, {
    localIPs: ['169.254.20.10', KUBE_DNS],
    localPort: 53,
    clusterDns: UPSTREAM_SVC_IP,
    kubeDns: { stubDomains: new Map(), upstreamNameservers: [] },
  }).text
  // the same server blocks, directive for directive, but for ready (tsdns's; not in node-cache)
  const shape = (t: string) => loadCorefile({ file: 'x', text: t }, { env: {} }).blocks.map((b) => ({
    keys: b.keys.map((k) => k.text),
    directives: b.directives.filter((d) => d.name.text !== 'ready').map(function flat(d: Directive): unknown {
      return [d.name.text, ...d.args.map((a) => a.text), ...(d.block ?? []).map(flat)]
    }),
  }))
  assert.deepEqual(shape(rendered), shape(read('corefiles/node-local.Corefile')))
})

// ---- kubelet: node cache first, kube-dns second

test('kubelet snippet: the node cache first, the kube-dns Service second', () => {
  const path = 'manifests/kubelet/kubelet-config.yaml'
  const cfg = only(yamlDocs(read(path), path), 'KubeletConfiguration')
  assert.equal(cfg.apiVersion, 'kubelet.config.k8s.io/v1beta1')
  assert.equal(cfg.kind, 'KubeletConfiguration')
  assert.deepEqual(Object.keys(cfg).sort(), ['apiVersion', 'clusterDNS', 'clusterDomain', 'kind'])
  const dns = cfg.clusterDNS as string[]
  assert.ok(dns.every((ip) => isIP(ip) !== 0) && dns.length === 2)
  const localip = flags(staticPod.spec!.containers[0]!.args ?? []).get('localip')!.split(',')
  assert.deepEqual(dns, localip, 'the link-local address, then the kube-dns Service address')
  assert.ok(dns[0]!.startsWith('169.254.'), 'a link-local address first')
  assert.equal(`${cfg.clusterDomain}.`, nodeLocal.clusterDomain)
})

// ---- every file in manifests/ is checked somewhere

test('every file in manifests/ is covered by a test', () => {
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [relative(manifests, join(dir, e.name))]))
  const covered = [
    'Dockerfile', 'Dockerfile.dockerignore', // below
    'static-pod/tsdns.yaml', 'static-pod/kube-dns-upstream.yaml', 'ha-pair/tsdns-standby.yaml',
    'ha-pair/standby.sed', 'daemonset/tsdns.yaml', 'kubelet/kubelet-config.yaml', // above
    'monitoring/tsdns.rules.yml', 'monitoring/tsdns.rules.test.yml', 'monitoring/prometheus-rule.yaml',
    'monitoring/pod-monitor.yaml', 'monitoring/prometheus-scrape.yml', 'monitoring/grafana-dashboard.json', // alerts.test.ts
  ]
  assert.deepEqual(walk(manifests).sort(), covered.sort())
})

// ---- the image

const dockerfile = read('manifests/Dockerfile')

test('Dockerfile: multi-stage on Node 24 slim, one bundled file without node_modules, non-root, tsdns entrypoint', () => {
  const { stages: st } = stages(dockerfile)
  assert.deepEqual(st.map((s) => s.name), ['build', 'runtime'])
  for (const s of st) assert.equal(s.from, 'node:24-bookworm-slim', `${s.name} on Node 24 LTS slim`)
  const [build, runtime] = st as [Stage, Stage]
  const runs = (s: Stage) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' && ')

  assert.match(runs(build), /npm ci\b/)
  assert.match(runs(build), /npm run build\b/)
  assert.ok(pkg.scripts.build, 'package.json has the build script')
  assert.doesNotMatch(runs(runtime), /\bnpm\b/, 'the final stage installs no npm package')

  // the final image: what it copies from where, who it runs as, what it runs
  const copies = runtime.instructions.filter((i) => i.op === 'COPY').map((i) => i.args)
  // the build bundles every dependency (src/cli/bundle.ts): no node_modules at all at run time
  assert.ok(copies.every((c) => !c.includes('node_modules')), 'no node_modules in the image')
  assert.ok(copies.includes('--from=build /app/dist ./dist'), 'dist from the build stage')
  assert.ok(copies.includes('package.json ./'), 'package.json: ESM for dist/, the version')
  // SIGUSR1 reloads under --disable-sigusr1 only with the native helper (src/cli/signals.ts)
  assert.match(runs(build), /test -f build\/Release\/sigusr1\.node/, 'the build stage fails without it')
  assert.ok(copies.includes('--from=build /app/build/Release/sigusr1.node ./build/Release/sigusr1.node'),
    'the native SIGUSR1 helper from the build stage')
  const user = runtime.instructions.filter((i) => i.op === 'USER').at(-1)?.args
  assert.match(user ?? '', /^[1-9]\d*:[1-9]\d*$/, 'a numeric non-root USER')
  const entrypoint = runtime.instructions.filter((i) => i.op === 'ENTRYPOINT').at(-1)?.args
  // no signal opens an inspector (src/cli/signals.ts); the heap flags of bench/README.md "Memory",
  // on the command line (NODE_OPTIONS refuses one)
  const lean = IMAGE_HEAP_FLAGS
  assert.deepEqual(JSON.parse(entrypoint ?? 'null'),
    ['node', '--disable-sigusr1', ...lean, '--snapshot-blob', '/app/dist/tsdns.blob', '--'])
  assert.match(runs(runtime), /install .*\biproute2\b.*\biptables\b/, 'ip and iptables for node setup')

  // the bin is what the build makes of src/cli/main.ts, the snapshot's entry what it makes of
  // src/cli/snapshot.ts, and the build checks both
  assert.equal(pkg.bin.tsdns, 'dist/cli/main.js')
  assert.match(runs(build), /test -f dist\/cli\/main\.js/)
  assert.match(runs(build), /test -f dist\/cli\/snapshot\.cjs/)
  assert.ok(existsSync(join(root, 'src/cli/main.ts')))
  assert.ok(existsSync(join(root, 'src/cli/snapshot.ts')))
})

test('Dockerfile: the runtime stage makes the snapshot blob with its own node, before USER', () => {
  const runtime = stages(dockerfile).stages.at(-1)!
  const at = (i: { op: string; args: string }) => runtime.instructions.indexOf(i)
  const entrypoint = JSON.parse(runtime.instructions.find((i) => i.op === 'ENTRYPOINT')!.args) as string[]
  const blob = entrypoint[entrypoint.indexOf('--snapshot-blob') + 1]
  // a blob works only with the node that made it: the build stage's may be another release
  const make = runtime.instructions.filter((i) => i.op === 'RUN' && i.args.includes('--build-snapshot'))
  assert.equal(make.length, 1)
  // made with the flags `npm run build` uses (bundle.ts), which the bench and the tests start from
  const bundle = readFileSync(join(root, 'src/cli/bundle.ts'), 'utf8')
  const flags = /^const SNAPSHOT_FLAGS = \[(.*)\]$/m.exec(bundle)?.[1]?.split(', ').map((f) => f.slice(1, -1))
  assert.ok(flags && flags.length > 0, 'bundle.ts names its SNAPSHOT_FLAGS')
  assert.match(make[0]!.args,
    new RegExp(`(^| )node ${flags.join(' ')} --snapshot-blob ${blob} --build-snapshot /app/dist/cli/snapshot\\.cjs$`))
  const copy = runtime.instructions.find((i) => i.op === 'COPY' && i.args === '--from=build /app/dist ./dist')!
  const user = runtime.instructions.filter((i) => i.op === 'USER').at(-1)!
  assert.ok(at(copy) < at(make[0]!) && at(make[0]!) < at(user), 'after dist arrives, as root: the user cannot change it')
  // nothing else runs the entrypoint at build time any more (the compile cache it filled is gone)
  assert.ok(!runtime.instructions.some((i) => i.op === 'ENV' && i.args.startsWith('NODE_COMPILE_CACHE=')))
})

test('every launcher starts Node with --disable-sigusr1: the bin, npm start, no manifest command', () => {
  const bin = join(root, 'src/cli', posix.basename(pkg.bin.tsdns ?? '').replace(/\.js$/, '.ts'))
  assert.equal(readFileSync(bin, 'utf8').split('\n')[0], '#!/usr/bin/env -S node --disable-sigusr1')
  assert.match(pkg.scripts.start ?? '', /^node --disable-sigusr1 /)
  // manifests run the image's ENTRYPOINT (checked above): a command of their own would bypass it
  const containers = (v: unknown): IContainer[] => typeof v !== 'object' || v === null ? []
    : Object.entries(v).flatMap(([k, x]) => k === 'containers' ? x as IContainer[] : containers(x))
  for (const dir of ['static-pod', 'daemonset', 'ha-pair']) {
    for (const f of readdirSync(join(manifests, dir)).filter((n) => n.endsWith('.yaml'))) {
      const path = `manifests/${dir}/${f}`
      const found = containers(yamlDocs(read(path), path))
      for (const c of found) assert.equal(c.command, undefined, `${path}: ${c.name} sets no command`)
    }
  }
})

test('Dockerfile: every COPY from the context exists and passes the .dockerignore', () => {
  const ignore = read('manifests/Dockerfile.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  assert.equal(ignore[0], '*', 'everything is left out but what is named')
  const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''))
  const { stages: st } = stages(dockerfile)
  const sources = st.flatMap((s) => s.instructions).filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
  assert.ok(sources.length > 0)
  for (const src of sources) {
    assert.ok(existsSync(join(root, src)), `${src} exists`)
    assert.ok(allowed.includes(src.replace(/\/$/, '')), `${src} is let through by the .dockerignore`)
  }
  // what the build compiles must be in the context: nothing outside src/ and plugins/
  const tsconfig = JSON.parse(read('tsconfig.build.json')) as { include: string[] }
  for (const dir of tsconfig.include) assert.ok(allowed.includes(dir), `${dir} reaches the build stage`)
})

// registered last: node:test runs the tests in order, so every object above has been validated.
// A canary with a misspelt field shows that the check can fail (the schema alone lets it pass).
test('every Kubernetes object has only fields its schema knows', () => {
  assert.ok(validated.length >= 10, `${validated.length} objects validated`)
  const canary = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'canary' }, spec: { containers: [{ name: 'c', image: 'i', livenesProbe: {} }] } }
  new Pod(canary as never).validate()
  assert.deepEqual(unknownFieldErrors([...validated, canary]), [
    `v1/Pod canary: Object literal may only specify known properties, and '"livenesProbe"' does not exist in type 'IContainer'.`,
  ])
})
