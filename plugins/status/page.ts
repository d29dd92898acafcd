// GET /status: one self-contained page (no external assets) that reads /status.json every 3 s.
// Names and addresses come from queries, that is from any pod: they are only ever set as text
// (textContent), never parsed as HTML.

export const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tsdns status</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:16px;margin:0}header span{opacity:.8}
main{padding:8px 16px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:10px 0;padding:8px 12px}
h2{font-size:14px;margin:4px 0 8px}h3{font-size:12px;margin:8px 0 4px;color:#555}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:8px 16px}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{border:1px solid #dde1e7;border-radius:6px;padding:6px 10px;min-width:120px}
.card b{display:block;font-size:18px}.card svg{display:block;margin-top:4px}
table{border-collapse:collapse;width:100%}td,th{padding:2px 6px;text-align:left;border-bottom:1px solid #eef0f3;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td.k{max-width:360px;overflow:hidden;text-overflow:ellipsis}
.bad{color:#b3261e;font-weight:600}.ok{color:#1e7b34}.muted{color:#888}
pre{background:#f1f3f6;padding:8px;overflow:auto;max-height:320px}
select{font:inherit}
</style></head><body>
<header><h1>tsdns status</h1><span id="meta">loading…</span>
<label>window <select id="win"><option value="1m">1 minute</option><option value="10m">10 minutes</option></select></label></header>
<main id="main"></main>
<script>
'use strict'
const REFRESH_MS = 3000
let model = null
const $ = (tag, attrs, ...kids) => {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v)
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)))
  return e
}
const fmt = (n) => n === null || n === undefined ? '–' : typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: 3 }) : String(n)
const pct = (r) => r === null || r === undefined ? '–' : (r * 100).toFixed(1) + '%'
const approx = (e) => e.error > 0 ? '±' + fmt(e.error) : ''
function spark(values, color) {
  const w = 160, h = 30, ns = 'http://www.w3.org/2000/svg'
  const svg = document.createElementNS(ns, 'svg')
  svg.setAttribute('width', w); svg.setAttribute('height', h); svg.setAttribute('class', 'spark')
  const v = values.map((x) => x === null ? 0 : x)
  const max = Math.max(...v, 1e-9)
  const pts = v.map((x, i) => ((v.length < 2 ? w : (i * w) / (v.length - 1))).toFixed(1) + ',' + (h - 2 - (x / max) * (h - 4)).toFixed(1))
  const line = document.createElementNS(ns, 'polyline')
  line.setAttribute('points', pts.join(' ')); line.setAttribute('fill', 'none')
  line.setAttribute('stroke', color); line.setAttribute('stroke-width', '1.5')
  svg.append(line)
  return svg
}
function card(label, value, series, color) {
  const c = $('div', { class: 'card' }, label, $('b', {}, value))
  if (series) c.append(spark(series, color))
  return c
}
function table(title, rows, cols, id) {
  const s = $('div', { 'data-list': id })
  s.append($('h3', {}, title))
  const t = $('table')
  t.append($('tr', {}, ...cols.map((c) => $('th', { class: c.n ? 'n' : '' }, c.h))))
  if (rows.length === 0) t.append($('tr', {}, $('td', { class: 'muted', colspan: cols.length }, 'none')))
  for (const r of rows) t.append($('tr', {}, ...cols.map((c) => $('td', { class: c.n ? 'n' : c.k ? 'k' : '' }, c.v(r)))))
  s.append(t)
  return s
}
const topCols = (h) => [{ h, k: true, v: (e) => e.key }, { h: 'count', n: true, v: (e) => fmt(e.count) }, { h: 'error', n: true, v: approx }]
function block(b, win) {
  const w = b.windows[win]
  const s = $('section', { class: 'block', 'data-server': b.server })
  s.append($('h2', {}, b.server + '  ' + b.zones.join(' ')))
  const series = b.series
  s.append($('div', { class: 'cards' },
    card('queries', fmt(w.queries), null),
    card('qps', fmt(w.qps), series.map((p) => p.qps), '#2f6fdb'),
    card('cache hit ratio', pct(w.hitRatio), series.map((p) => p.hitRatio), '#1e7b34'),
    card('p50 latency', fmt(w.latency.p50Ms) + ' ms', series.map((p) => p.p50Ms), '#8a5cf6'),
    card('p99 latency', fmt(w.latency.p99Ms) + ' ms', series.map((p) => p.p99Ms), '#b3261e'),
    card('cached / forwarded / local', fmt(w.did.cached) + ' / ' + fmt(w.did.forwarded) + ' / ' + fmt(w.did.local), null),
    card('rcodes', Object.entries(w.rcodes).map(([k, v]) => k + ' ' + fmt(v)).join(', ') || '–', null)))
  if (w.sampledOneIn > 1) s.append($('p', { class: 'muted' }, 'lists sampled 1 in ' + w.sampledOneIn + ' queries, counts scaled'))
  const g = $('div', { class: 'grid' })
  g.append(table('top clients by queries', w.clients.queries.top, topCols('client'), 'clients-queries'))
  g.append(table('top clients by NXDOMAIN', w.clients.nxdomain.top, topCols('client'), 'clients-nxdomain'))
  g.append(table('top clients by SERVFAIL', w.clients.servfail.top, topCols('client'), 'clients-servfail'))
  g.append(table('top clients by forwarded (missed)', w.clients.forwarded.top, topCols('client'), 'clients-forwarded'))
  g.append(table('top names by queries', w.names.queries.top, topCols('name'), 'names-queries'))
  g.append(table('top names by NXDOMAIN', w.names.nxdomain.top, topCols('name'), 'names-nxdomain'))
  s.append(g)
  s.append(table('search-path waste: ' + fmt(w.searchPath.wasted) + ' NXDOMAIN for search-list expansions', w.searchPath.clients, [
    { h: 'client', v: (c) => c.client }, { h: 'wasted', n: true, v: (c) => fmt(c.wasted) },
    { h: 'share', n: true, v: (c) => pct(c.share) }, { h: 'names', k: true, v: (c) => c.names.join(', ') },
    { h: 'fix', v: (c) => c.fix }], 'search-path'))
  return s
}
function render() {
  const m = model, win = document.getElementById('win').value
  document.getElementById('meta').textContent = 'updated ' + m.generatedAt + ' · up ' + fmt(m.uptimeSeconds) + ' s · config ' + m.config.hash.slice(0, 12)
  const main = $('main', { id: 'main' })
  for (const b of m.blocks) main.append(block(b, win))
  const up = $('section', {}, $('h2', {}, 'upstreams'))
  up.append(table('answers, failed health probes and latency (forward)', m.upstreams[win], [
    { h: 'upstream', v: (u) => u.to }, { h: 'health', v: (u) => u.health }, { h: 'answers', n: true, v: (u) => fmt(u.answers) },
    { h: 'SERVFAIL', n: true, v: (u) => fmt(u.servfail) }, { h: 'failures', n: true, v: (u) => fmt(u.failures) },
    { h: 'p50 ms', n: true, v: (u) => fmt(u.p50Ms) }, { h: 'p99 ms', n: true, v: (u) => fmt(u.p99Ms) }], 'upstreams'))
  main.append(up)
  main.append($('section', {}, $('h2', {}, 'reload history'), table('', m.config.reloads.slice().reverse(), [
    { h: 'when', v: (r) => r.at }, { h: 'event', v: (r) => r.event }, { h: 'config', v: (r) => r.hash.slice(0, 16) }], 'reloads')))
  main.append($('section', {}, $('h2', {}, 'Corefile in effect'), $('pre', { id: 'corefile' }, m.config.corefile)))
  document.getElementById('main').replaceWith(main)
  for (const h of main.querySelectorAll('td.n')) if (h.textContent.startsWith('±')) h.classList.add('muted')
  for (const h of main.querySelectorAll('td')) if (h.textContent === 'failing') h.classList.add('bad')
}
async function refresh() {
  try {
    const r = await fetch('status.json', { cache: 'no-store' })
    model = await r.json()
    render()
  } catch (err) {
    document.getElementById('meta').textContent = 'cannot read status.json: ' + err
  }
}
document.getElementById('win').addEventListener('change', () => model && render())
refresh()
setInterval(refresh, REFRESH_MS)
</script></body></html>
`
