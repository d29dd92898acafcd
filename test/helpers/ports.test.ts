import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { freePort, freePorts } from './ports.ts'

test('ports are distinct across calls, below the ephemeral range, and bindable', async () => {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0])
  const ports = [...await freePorts(20, 'both'), await freePort('tcp'), await freePort('udp')]
  assert.equal(new Set(ports).size, ports.length, String(ports))
  // below the ephemeral range where there is room for it (ports.ts falls back to the kernel's)
  if (low > 12_000) for (const p of ports) assert.ok(p >= 10_000 && p < low, `${p} in the ephemeral range`)
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(ports[0], '127.0.0.1', resolve))
  await new Promise<void>((resolve) => server.close(() => resolve()))
})
