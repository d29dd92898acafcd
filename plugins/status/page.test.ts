// The status page in a real headless browser (Debian's chromium, driven by playwright-core): it
// loads, shows the numbers of a known workload, updates after more queries, and takes a
// screenshot: in the temp directory, or where STATUS_SCREENSHOT says (the README's is made with
// STATUS_SCREENSHOT=docs/status.png). A system test: it needs chromium.

import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { chromium, type Browser } from 'playwright-core'
import { queryFrom, startStatusServer, workload, type StatusServer } from './testkit.ts'

const SCREENSHOT = process.env.STATUS_SCREENSHOT ?? join(tmpdir(), `tsdns-status-${process.pid}.png`)
let s: StatusServer
let browser: Browser

before(async () => {
  s = await startStatusServer()
  await workload(s.dnsPort)
  // --no-sandbox: the system tests run as root, where chromium's sandbox refuses to start
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
})
after(async () => {
  await browser?.close()
  await s?.stop()
})

test('the page renders the workload, then updates by itself after more queries', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('requestfailed', (r) => errors.push(`failed: ${r.url()}`))
  const external: string[] = []
  page.on('request', (r) => {
    if (!r.url().startsWith(`http://${s.addr}/`)) external.push(r.url())
  })
  await page.goto(`http://${s.addr}/status`)
  const clients = page.locator('[data-list="clients-queries"] tr').nth(1)
  await clients.locator('td').first().waitFor({ timeout: 10_000 })
  assert.deepEqual(await clients.locator('td').allTextContents(), ['127.0.0.2', '20', ''])
  const waste = page.locator('[data-list="search-path"] tr').nth(1)
  assert.deepEqual((await waste.locator('td').allTextContents()).slice(0, 4), ['127.0.0.3', '2', '66.7%', 'api.github.com'])
  assert.match(await page.locator('.card').first().textContent() ?? '', /queries\s*24/)
  assert.match(await page.locator('#corefile').textContent() ?? '', /forward \. 127\.0\.0\.1:/)
  assert.equal(await page.locator('[data-list="upstreams"] tr').count(), 2, 'one upstream row')
  assert.ok(await page.locator('svg.spark polyline').count() >= 4, 'sparklines')

  for (let i = 0; i < 10; i++) await queryFrom('127.0.0.4', s.dnsPort, `more${i}.example.net`)
  // the page polls every 3 s and the model is rendered at most once a second
  await page.waitForFunction(() => /queries\s*34/.test(document.querySelector('.card')?.textContent ?? ''),
    undefined, { timeout: 10_000 })
  assert.match(await page.locator('[data-list="clients-forwarded"]').textContent() ?? '', /127\.0\.0\.4\s*10/)
  await page.screenshot({ path: SCREENSHOT, fullPage: true })
  assert.ok(statSync(SCREENSHOT).size > 10_000, `a screenshot in ${SCREENSHOT}`)
  assert.deepEqual(errors, [])
  assert.deepEqual(external, [], 'no request leaves the status listener')
})
