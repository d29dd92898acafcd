// bench/results/latest.svg: throughput (flat out) and latency (at the fixed rate) per server and
// workload, as plain SVG text. Throughput bars are per core (10⁶ / CPU µs per query), the figure
// a shared machine disturbs least; a dash marks the queries per second measured.

import type { Meta, Row } from './report.ts'

const W = 960
const PANEL = 300
const LEFT = 70
const TOP = 70
const GAP = 90
const COLORS = ['#9e9e9e', '#e0913a', '#4f7fc4', '#2e9e5b', '#b04fc4']
/** Latency axis (log): 10 µs to 1 s. */
const LAT_MIN = 0.01
const LAT_MAX = 1000

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`
}

function niceMax(v: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(v, 1))))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

export function svg(meta: Meta, rows: readonly Row[]): string {
  const workloads = [...new Set(rows.map((r) => r.workload))]
  const servers = [...new Set(rows.map((r) => r.server))]
  const plotW = W - LEFT - 20
  const groupW = plotW / Math.max(1, workloads.length)
  const barW = (groupW * 0.8) / Math.max(1, servers.length)
  const x = (wi: number, si: number): number => LEFT + wi * groupW + groupW * 0.1 + si * barW
  const get = (w: string, s: string): Row | undefined =>
    rows.find((r) => r.workload === w && r.server === s)
  const out: string[] = []
  const H = TOP + 2 * PANEL + GAP + 50
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" ` +
    `viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  `<rect width="${W}" height="${H}" fill="white"/>`,
  text(LEFT, 22, 'tsdns and peers: one core for the server', 'font-size="16" font-weight="bold"'),
  text(LEFT, 40, `${meta.date.slice(0, 16).replace('T', ' ')} · ${meta.machine}`,
    'fill="#555" font-size="10"'))
  servers.forEach((s, i) => {
    const lx = LEFT + i * 170
    out.push(`<rect x="${lx}" y="50" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`,
      text(lx + 16, 60, s))
  })

  // throughput
  const y0 = TOP + 20
  const perCore = (r: Row): number => 1e6 / r.cpuUs
  const finite = (v: number): number => (Number.isFinite(v) ? v : 0)
  const qmax = niceMax(Math.max(...rows.map((r) => Math.max(finite(r.qps), finite(perCore(r))))))
  const qy = (v: number): number => y0 + PANEL - (PANEL * v) / qmax
  out.push(text(LEFT, y0 - 8, 'queries per second per core, flat out (bar: 10⁶ / CPU µs per ' +
    'query; dash: qps measured; higher is better)', 'font-weight="bold"'))
  for (let i = 0; i <= 5; i++) {
    const v = (qmax * i) / 5
    out.push(`<line x1="${LEFT}" x2="${W - 20}" y1="${qy(v)}" y2="${qy(v)}" stroke="#ddd"/>`,
      text(LEFT - 6, qy(v) + 4, `${Math.round(v / 1000)}k`, 'text-anchor="end"'))
  }
  workloads.forEach((w, wi) => {
    out.push(text(LEFT + wi * groupW + groupW / 2, y0 + PANEL + 16, w, 'text-anchor="middle"'))
    servers.forEach((s, si) => {
      const r = get(w, s)
      if (r === undefined || !Number.isFinite(perCore(r))) return
      const bx = x(wi, si)
      const top = qy(perCore(r))
      out.push(`<rect x="${bx.toFixed(1)}" y="${top.toFixed(1)}" ` +
        `width="${(barW - 2).toFixed(1)}" height="${(y0 + PANEL - top).toFixed(1)}" ` +
        `fill="${COLORS[si % COLORS.length]}"/>`,
      text(bx + barW / 2 - 1, top - 3, `${Math.round(perCore(r) / 1000)}k`,
        'text-anchor="middle" font-size="10"'))
      if (Number.isFinite(r.qps)) {
        out.push(`<line x1="${(bx + 2).toFixed(1)}" x2="${(bx + barW - 4).toFixed(1)}" ` +
          `y1="${qy(r.qps).toFixed(1)}" y2="${qy(r.qps).toFixed(1)}" stroke="black" ` +
          'stroke-width="2"/>')
      }
    })
  })

  // latency: bar to p99, dot at p50, tick at p99.9
  const y1 = y0 + PANEL + GAP
  const span = Math.log10(LAT_MAX / LAT_MIN)
  const ly = (ms: number): number => {
    const c = Math.min(LAT_MAX, Math.max(LAT_MIN, ms))
    return y1 + PANEL - (PANEL * Math.log10(c / LAT_MIN)) / span
  }
  out.push(text(LEFT, y1 - 8, 'latency at a fixed rate, ms, log scale (bar: p99, dot: p50, ' +
    'dash: p99.9; lower is better)', 'font-weight="bold"'))
  for (let e = Math.log10(LAT_MIN); e <= Math.log10(LAT_MAX); e++) {
    const v = Math.pow(10, e)
    out.push(`<line x1="${LEFT}" x2="${W - 20}" y1="${ly(v)}" y2="${ly(v)}" stroke="#ddd"/>`,
      text(LEFT - 6, ly(v) + 4, String(v), 'text-anchor="end"'))
  }
  out.push(`<line x1="${LEFT}" x2="${W - 20}" y1="${ly(1)}" y2="${ly(1)}" stroke="#c44" ` +
    'stroke-dasharray="4 3"/>', text(W - 22, ly(1) - 4, '1 ms', 'text-anchor="end" fill="#c44"'))
  workloads.forEach((w, wi) => {
    const rate = rows.find((r) => r.workload === w)?.rate ?? meta.rate
    out.push(text(LEFT + wi * groupW + groupW / 2, y1 + PANEL + 16,
      `${w} at ${Math.round(rate / 1000)}k qps`, 'text-anchor="middle"'))
    servers.forEach((s, si) => {
      const r = get(w, s)
      if (r === undefined || !Number.isFinite(r.p99)) return
      const bx = x(wi, si)
      const cx = bx + barW / 2 - 1
      out.push(`<rect x="${bx.toFixed(1)}" y="${ly(r.p99).toFixed(1)}" ` +
        `width="${(barW - 2).toFixed(1)}" height="${(y1 + PANEL - ly(r.p99)).toFixed(1)}" ` +
        `fill="${COLORS[si % COLORS.length]}" fill-opacity="0.75"/>`,
      `<circle cx="${cx.toFixed(1)}" cy="${ly(r.p50).toFixed(1)}" r="3" fill="black"/>`,
      `<line x1="${(bx + 2).toFixed(1)}" x2="${(bx + barW - 4).toFixed(1)}" ` +
        `y1="${ly(r.p999).toFixed(1)}" y2="${ly(r.p999).toFixed(1)}" stroke="black" ` +
        'stroke-width="2"/>')
    })
  })
  out.push('</svg>', '')
  return out.join('\n')
}
