// Durations printed as Go's time.Duration.String() prints them, since CoreDNS's log lines do
// (errors' consolidate period, health's lameduck and probe times).

const GO_UNITS: readonly (readonly [number, string])[] = [
  [1e6, 'ms'],
  [1e3, 'µs'],
  [1, 'ns'],
]

/** `v / scale` with the fraction's trailing zeros dropped, as Go's Duration.String prints it. */
function scaled(v: number, scale: number): string {
  const whole = Math.floor(v / scale)
  const frac = v - whole * scale
  if (frac === 0) return String(whole)
  const digits = String(scale).length - 1
  return `${whole}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}`
}

/** Go's time.Duration.String() of a nanosecond count: 30s, 5m0s, 1h0m0s, 1.5s, 20ms. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s'
  if (ns < 0) return `-${goDuration(-ns)}`
  if (ns < 1e9) {
    const [scale, unit] = GO_UNITS.find(([s]) => ns >= s) ?? GO_UNITS[2]!
    return scaled(ns, scale) + unit
  }
  const h = Math.floor(ns / 3.6e12)
  const m = Math.floor((ns - h * 3.6e12) / 6e10)
  const s = `${scaled(ns - h * 3.6e12 - m * 6e10, 1e9)}s`
  return h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s
}

/** goDuration of a millisecond count. */
export function goDurationMs(ms: number): string {
  return goDuration(Math.round(ms * 1e6))
}
