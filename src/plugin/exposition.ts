// The Prometheus text exposition, written a slice at a time: a scrape of a registry with hundreds
// of thousands of series takes seconds of formatting, and the DNS server shares this thread. The
// writer yields to the event loop whenever it has run for SLICE_MS, so queries wait at most about
// that long behind a scrape (issue 14: one scrape of 600k series blocked DNS for over 5 s).
// Same text as prom-client's Registry.metrics(), minus families without samples (as Go writes it).

import { setImmediate as turn } from 'node:timers/promises'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'

/** One written exposition, and its gzip form made once, off the thread, for whoever asks first. */
export class Exposition {
  readonly text: Buffer
  #gzipped: Promise<Buffer> | undefined

  constructor(text: Buffer) {
    this.text = text
  }

  gzipped(): Promise<Buffer> {
    return (this.#gzipped ??= promisify(gzip)(this.text))
  }
}

export interface Sample {
  value: number
  labels: Record<string, string | number>
  metricName?: string
}

/** One family to write: its samples come child by child, so the writer can pause between them. */
export interface Exposable {
  readonly name: string
  readonly help: string
  readonly type: string
  eachChild(): Iterable<Sample[]>
}

/** How long formatting runs before it lets queries in. */
const SLICE_MS = 2
/** Samples formatted between two looks at the clock. */
const CHECK_EVERY = 64

export class ExpositionWriter {
  readonly #parts: Buffer[] = []
  #text = ''
  #slice = performance.now()
  #sinceCheck = 0

  /** Appends a family; resolves once written, having yielded as often as its size needs. */
  async family(f: Exposable): Promise<void> {
    let header = `# HELP ${f.name} ${escape(f.help)}\n# TYPE ${f.name} ${f.type}\n`
    for (const samples of f.eachChild()) {
      for (const s of samples) {
        this.#text += header + line(s.metricName ?? f.name, s.labels, s.value)
        header = ''
      }
      this.#sinceCheck += samples.length
      if (this.#sinceCheck >= CHECK_EVERY) await this.#maybeYield()
    }
  }

  /** Appends text written elsewhere (prom-client's runtime metrics: a few dozen lines). */
  raw(text: string): void {
    this.#text += text
  }

  /** The whole exposition. */
  finish(): Buffer {
    this.#flush()
    return Buffer.concat(this.#parts)
  }

  async #maybeYield(): Promise<void> {
    this.#sinceCheck = 0
    if (performance.now() - this.#slice < SLICE_MS) return
    this.#flush() // one Buffer per slice: no string rope of the whole text
    await turn()
    this.#slice = performance.now()
  }

  #flush(): void {
    if (this.#text === '') return
    this.#parts.push(Buffer.from(this.#text))
    this.#text = ''
  }
}

function line(name: string, labels: Record<string, string | number>, value: number): string {
  let l = name
  let sep = '{'
  for (const k in labels) {
    const v = labels[k]!
    l += `${sep}${k}="${typeof v === 'string' ? escape(v).replace(/"/g, '\\"') : v}"`
    sep = ','
  }
  if (sep === ',') l += '}'
  return `${l} ${formatValue(value)}\n`
}

/** prom-client's escaping of help texts and label values (backslash, newline). */
function escape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** prom-client's getValueAsString. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'Nan'
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf'
  return `${v}`
}
