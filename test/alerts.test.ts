// The alerts and the dashboard in manifests/monitoring: promtool checks the rules and runs their
// unit tests (each alert fires on synthetic series and stays quiet on others), every series they
// query is one tsdns exports with the labels it has, the PrometheusRule carries the same groups,
// and the scrape configuration gives every tsdns pod the job the alerts select.

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parse, parseAllDocuments, stringify } from 'yaml'
import '../plugins/order.ts' // registers every plugin's metric families
import '../src/nodecache/metrics.ts' // and node setup's
import { registry } from '../src/plugin/metrics.ts'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const dir = join(root, 'manifests/monitoring')
const read = (path: string) => readFileSync(join(root, path), 'utf8')
const tmp = mkdtempSync(join(tmpdir(), 'tsdns-alerts-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

interface Rule {
  alert: string
  expr: string
  for?: string
  labels: Record<string, string>
  annotations: Record<string, string>
}
interface Groups {
  groups: { name: string; rules: Rule[] }[]
}

const rulesText = read('manifests/monitoring/tsdns.rules.yml')
const rules = parse(rulesText) as Groups
const alerts = rules.groups.flatMap((g) => g.rules)

async function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: tmp, timeout: 30_000 })
    return { code: 0, out: stdout + stderr }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

test('the issue\'s alerts are all there', () => {
  const names = new Set(alerts.map((a) => a.alert))
  for (const a of ['TsdnsDown', 'TsdnsHighServfailRate', 'TsdnsHighNxdomainRate', 'TsdnsLatencyP99High',
    'TsdnsCacheHitRateLow', 'TsdnsForwardHealthcheckFailures']) assert.ok(names.has(a), a)
  assert.equal(names.size, alerts.length, 'alert names are unique')
  for (const a of alerts) assert.match(a.labels.severity ?? '', /^(critical|warning|info)$/, `${a.alert} severity`)
})

test('promtool check rules', async () => {
  const r = await promtool('check', 'rules', join(dir, 'tsdns.rules.yml'))
  assert.equal(r.code, 0, r.out)
  assert.match(r.out, new RegExp(`SUCCESS: ${alerts.length} rules found`))
})

test('promtool test rules: each alert fires and stays quiet as the synthetic series say', async () => {
  const r = await promtool('test', 'rules', join(dir, 'tsdns.rules.test.yml'))
  assert.equal(r.code, 0, r.out)
})

interface RuleTests {
  rule_files: string[]
  tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[]
}
const ruleTests = parse(read('manifests/monitoring/tsdns.rules.test.yml')) as RuleTests

test('every alert has a case where it fires and one where it does not', () => {
  assert.deepEqual(ruleTests.rule_files, ['tsdns.rules.yml'])
  const cases = ruleTests.tests.flatMap((t) => t.alert_rule_test)
  for (const { alert } of alerts) {
    const mine = cases.filter((c) => c.alertname === alert)
    assert.ok(mine.some((c) => c.exp_alerts.length > 0), `${alert} fires somewhere`)
    assert.ok(mine.some((c) => c.exp_alerts.length === 0), `${alert} stays quiet somewhere`)
  }
})

test('the unit tests fail when any one alert can never fire', async () => {
  await Promise.all(alerts.map(async ({ alert }) => {
    const broken = structuredClone(rules)
    for (const g of broken.groups) for (const r of g.rules) if (r.alert === alert) r.expr = 'vector(1) < 0'
    const sub = mkdtempSync(join(tmp, 'mutant-'))
    writeFileSync(join(sub, 'tsdns.rules.yml'), stringify(broken))
    copyFileSync(join(dir, 'tsdns.rules.test.yml'), join(sub, 'tsdns.rules.test.yml'))
    const r = await promtool('test', 'rules', join(sub, 'tsdns.rules.test.yml'))
    assert.notEqual(r.code, 0, `${alert} neutralised, yet the tests passed`)
    assert.match(r.out, new RegExp(`alertname: ${alert}\\b`))
  }))
})

test('the PrometheusRule carries the same groups', () => {
  const [doc, ...rest] = parseAllDocuments(read('manifests/monitoring/prometheus-rule.yaml'))
  assert.equal(rest.length, 0)
  assert.deepEqual([...doc!.errors, ...doc!.warnings], [])
  const pr = doc!.toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Groups }
  assert.equal(pr.apiVersion, 'monitoring.coreos.com/v1')
  assert.equal(pr.kind, 'PrometheusRule')
  assert.ok(pr.metadata.name && pr.metadata.namespace)
  assert.deepEqual(Object.keys(pr.spec), ['groups'])
  assert.deepEqual(pr.spec, rules)
})

// ---- the series they query are what tsdns exports

interface Family {
  name: string
  labelNames: readonly string[]
  type?: string
}
const families = new Map<string, Family>()
for (const m of registry.getMetricsAsArray() as unknown as Family[]) families.set(m.name, m)
/** Labels the scrape adds to every series. */
const TARGET_LABELS = ['job', 'instance']

/** The family a queried series belongs to, and the labels it carries. */
function seriesLabels(metric: string): readonly string[] | undefined {
  if (metric === 'up') return TARGET_LABELS
  const fam = families.get(metric)
  if (fam) return [...fam.labelNames, ...TARGET_LABELS]
  const m = /^(.*)_(bucket|sum|count)$/.exec(metric)
  const hist = m ? families.get(m[1]!) : undefined
  if (!hist || hist.type !== 'histogram') return undefined
  return [...hist.labelNames, ...TARGET_LABELS, ...(m![2] === 'bucket' ? ['le'] : [])]
}

const PROMQL_WORDS = new Set(['sum', 'by', 'without', 'rate', 'increase', 'histogram_quantile', 'and', 'or',
  'unless', 'absent', 'max', 'min', 'avg', 'count', 'on', 'ignoring', 'vector', 'bool'])

/** Problems with the series and labels one expression uses. */
function checkExpr(expr: string): string[] {
  const problems: string[] = []
  const used: string[] = []
  for (const m of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g)) {
    const labels = seriesLabels(m[1]!)
    if (!labels) {
      problems.push(`${m[1]} is not exported by tsdns`)
      continue
    }
    used.push(...labels)
    for (const matcher of m[2]!.split(',').filter((x) => x.trim() !== '')) {
      const name = /^\s*([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/.exec(matcher)?.[1]
      if (!name || !labels.includes(name)) problems.push(`${m[1]} has no label in '${matcher.trim()}'`)
    }
  }
  const bare = expr.replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '').replace(/"[^"]*"/g, '')
  for (const m of bare.matchAll(/\b(by|without)\s*\(([^)]*)\)/g)) {
    for (const l of m[2]!.split(',').map((x) => x.trim())) {
      if (!used.includes(l)) problems.push(`no series in the expression has label '${l}' (${m[1]})`)
    }
  }
  const words = expr.replace(/[a-zA-Z_:][a-zA-Z0-9_:]*\s*\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without)\s*\([^)]*\)/g, '').matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b/g)
  for (const [w] of words) if (!PROMQL_WORDS.has(w)) problems.push(`a series without a selector or an unknown word: ${w}`)
  return problems
}

test('the expression check catches a misspelt metric, label and grouping', () => {
  assert.deepEqual(checkExpr('sum by (instance) (rate(coredns_dns_responses_total{job="tsdns",rcode="SERVFAIL"}[5m]))'), [])
  assert.deepEqual(checkExpr('rate(coredns_dns_response_total{job="tsdns"}[5m])'), ['coredns_dns_response_total is not exported by tsdns'])
  assert.deepEqual(checkExpr('coredns_cache_hits_total{rcode="x"}'), [`coredns_cache_hits_total has no label in 'rcode="x"'`])
  assert.deepEqual(checkExpr('sum by (to) (coredns_cache_hits_total{job="x"})'), [`no series in the expression has label 'to' (by)`])
  assert.deepEqual(checkExpr('coredns_cache_hits_total > 1'), ['a series without a selector or an unknown word: coredns_cache_hits_total'])
})

test('every series and label the alerts query is one tsdns exports', () => {
  for (const a of alerts) assert.deepEqual(checkExpr(a.expr), [], a.alert)
  for (const a of alerts) assert.match(a.expr, /\{job="tsdns"[,}]/, `${a.alert} selects job="tsdns"`)
})

// ---- the dashboard

interface Panel {
  id: number
  type: string
  title: string
  datasource?: { uid: string }
  targets?: { expr: string; refId: string }[]
}
const dashboard = JSON.parse(read('manifests/monitoring/grafana-dashboard.json')) as {
  uid: string
  title: string
  panels: Panel[]
  templating: { list: { name: string }[] }
}
const panels = dashboard.panels.filter((p) => p.type !== 'row')
/** Grafana's variables, as a query would see them. */
const grafana = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*')

test('dashboard: well formed, on the data source and node variables', () => {
  assert.ok(dashboard.uid && dashboard.title)
  assert.deepEqual(dashboard.templating.list.map((v) => v.name), ['datasource', 'instance'])
  assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'unique panel ids')
  for (const p of panels) {
    assert.equal(p.datasource?.uid, '${datasource}', p.title)
    assert.ok(p.targets && p.targets.length > 0, `${p.title} has queries`)
    for (const t of p.targets) assert.match(t.expr, /\{job="tsdns",instance=~"\$instance"[,}]/, `${p.title} ${t.refId}`)
  }
})

test('dashboard: every query parses (promtool) and uses series tsdns exports', async () => {
  const record = panels.flatMap((p) => p.targets!.map((t) => ({ record: `tsdns:panel${p.id}:${t.refId}`, expr: grafana(t.expr) })))
  writeFileSync(join(tmp, 'dashboard.rules.yml'), stringify({ groups: [{ name: 'dashboard', rules: record }] }))
  const r = await promtool('check', 'rules', 'dashboard.rules.yml')
  assert.equal(r.code, 0, r.out)
  for (const { record: name, expr } of record) assert.deepEqual(checkExpr(expr), [], name)
})

test('dashboard: every series an alert watches has a panel', () => {
  const shown = panels.flatMap((p) => p.targets!.map((t) => t.expr)).join('\n')
  for (const a of alerts) {
    for (const [, metric] of a.expr.matchAll(/([a-z_:][a-z0-9_:]*)\{/g)) {
      if (metric !== 'up' || a.alert === 'TsdnsDown') assert.ok(shown.includes(`${metric}{`), `${a.alert}: ${metric}`)
    }
  }
})

// ---- runbooks

test('every alert links its section of docs/alerts.md', () => {
  const headings = new Set(read('docs/alerts.md').split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3).trim()))
  for (const a of alerts) {
    assert.equal(a.annotations.runbook, `docs/alerts.md#${a.alert.toLowerCase()}`)
    assert.ok(headings.has(a.alert), `docs/alerts.md has '## ${a.alert}'`)
    assert.ok(a.annotations.summary && a.annotations.description, `${a.alert} says what happened`)
  }
})

// ---- the job the alerts select is the one every tsdns pod gets

interface PodLike {
  labels: Record<string, string>
  namespace: string
  portNames: string[]
}
function tsdnsPods(): PodLike[] {
  const out: PodLike[] = []
  for (const path of ['manifests/static-pod/tsdns.yaml', 'manifests/ha-pair/tsdns-standby.yaml', 'manifests/daemonset/tsdns.yaml']) {
    for (const d of parseAllDocuments(read(path)).map((x) => x.toJS())) {
      const pod = d.kind === 'Pod' ? d : d.kind === 'DaemonSet' ? { ...d.spec.template, metadata: { ...d.spec.template.metadata, namespace: d.metadata.namespace } } : undefined
      if (!pod) continue
      out.push({
        labels: pod.metadata.labels,
        namespace: pod.metadata.namespace,
        portNames: pod.spec.containers.flatMap((c: { ports?: { name: string }[] }) => (c.ports ?? []).map((p) => p.name)),
      })
    }
  }
  return out
}

test('PodMonitor: selects every tsdns pod and names its job tsdns', () => {
  const pm = parse(read('manifests/monitoring/pod-monitor.yaml'))
  assert.equal(pm.apiVersion, 'monitoring.coreos.com/v1')
  assert.equal(pm.kind, 'PodMonitor')
  const pods = tsdnsPods()
  assert.equal(pods.length, 3)
  for (const pod of pods) {
    assert.equal(pod.namespace, pm.metadata.namespace)
    for (const [k, v] of Object.entries(pm.spec.selector.matchLabels)) assert.equal(pod.labels[k], v)
    assert.equal(pod.labels[pm.spec.jobLabel], 'tsdns', 'job="tsdns"')
    for (const ep of pm.spec.podMetricsEndpoints) assert.ok(pod.portNames.includes(ep.port), `port ${ep.port}`)
  }
})

test('scrape config: job tsdns keeps every tsdns pod\'s metrics port, and promtool accepts it', async () => {
  const cfg = parse(read('manifests/monitoring/prometheus-scrape.yml'))
  assert.deepEqual(cfg.rule_files, ['tsdns.rules.yml'])
  const [job] = cfg.scrape_configs
  assert.equal(job.job_name, 'tsdns')
  const keep = (source: string) => job.relabel_configs.find((r: { action: string; source_labels: string[] }) =>
    r.action === 'keep' && r.source_labels[0] === source).regex as string
  for (const pod of tsdnsPods()) {
    assert.ok(job.kubernetes_sd_configs[0].namespaces.names.includes(pod.namespace))
    assert.match(pod.labels['app.kubernetes.io/name'] ?? '', new RegExp(`^(?:${keep('__meta_kubernetes_pod_label_app_kubernetes_io_name')})$`))
    assert.ok(pod.portNames.some((n) => new RegExp(`^(?:${keep('__meta_kubernetes_pod_container_port_name')})$`).test(n)))
  }
  // Debian's promtool is built without Kubernetes discovery: check the rest with static targets
  const { kubernetes_sd_configs: _, ...rest } = job
  writeFileSync(join(tmp, 'prometheus.yml'), stringify({ ...cfg, scrape_configs: [{ ...rest, static_configs: [{ targets: ['127.0.0.1:9253'] }] }] }))
  copyFileSync(join(dir, 'tsdns.rules.yml'), join(tmp, 'tsdns.rules.yml'))
  const r = await promtool('check', 'config', 'prometheus.yml')
  assert.equal(r.code, 0, r.out)
})
