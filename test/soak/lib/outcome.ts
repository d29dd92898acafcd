// What a scenario hands back: its measured figures (printed by run.ts, quoted in
// docs/reliability.md) and the invariants it found broken (asserted empty by the short tests).

export type Figures = Record<string, number | string | boolean>

export class Outcome {
  readonly name: string
  readonly figures: Figures = {}
  readonly failures: string[] = []

  constructor(name: string) {
    this.name = name
  }

  /** Records a broken invariant unless `ok`. */
  expect(ok: boolean, what: string): void {
    if (!ok) this.failures.push(what)
  }

  set(figures: Figures): void {
    Object.assign(this.figures, figures)
  }
}
