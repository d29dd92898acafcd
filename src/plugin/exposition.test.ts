// /metrics with many series: the text is written a slice at a time, so timers and DNS queries run
// while a large registry is scraped, and scrapes that arrive meanwhile share one text.

import assert from 'node:assert/strict'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { test } from 'node:test'
import { CounterFamily, registry } from './metrics.ts'

test('a scrape of 200,000 series lets the event loop turn, and concurrent scrapes share it',
  async (t) => {
    const big = new CounterFamily<'n'>('tsdns_test_many_total', 'Many series.', ['n'])
    t.after(() => {
      big.reset()
      registry.removeSingleMetric('tsdns_test_many_total')
    })
    for (let i = 0; i < 200_000; i++) big.child({ n: String(i) }).value = i
    registry.load()

    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    const delay = monitorEventLoopDelay({ resolution: 1 })
    delay.enable()
    const first = registry.scrape()
    const [a, b] = await Promise.all([first, registry.scrape()])
    delay.disable()
    clearInterval(timer)

    assert.equal(a, b, 'the second scrape shares the first one')
    const text = a.text.toString()
    assert.match(text, /^tsdns_test_many_total\{n="199999"\} 199999$/m)
    assert.equal(text.match(/^tsdns_test_many_total\{/gm)?.length, 200_000)
    assert.ok(ticks > 5, `a 1 ms timer ran ${ticks} times during the scrape`)
    t.diagnostic(`event loop delay during the scrape: max ${(delay.max / 1e6).toFixed(1)} ms, ` +
      `p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, timer ran ${ticks} times`)
    assert.notEqual(await registry.scrape(), a, 'a scrape after it is written anew')
  })
