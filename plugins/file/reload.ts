// A zone's file, read at setup and re-read every `reload` interval (CoreDNS plugin/file
// reload.go): a new zone replaces the served one whole, and only when its SOA serial differs
// from the one served (or, with reload_by_mtime, when the file's modification time changed). A
// file that cannot be read or parsed is logged and the zone served so far stays.

import { statSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { readBounded, readBoundedAsync } from '../../src/corefile/read.ts'
import { logger } from '../../src/plugin/log.ts'
import type { ZoneSource } from './file.ts'
import { Zone } from './zone.ts'
import { MAX_ZONE_BYTES, parseZoneFile, UnchangedSerial } from './zonefile.ts'

const log = logger('file')

/** The zone `text` (read from `path`) holds for `origin`; throws ZoneFileError or ZoneError. */
export function readZone(
  text: string,
  path: string,
  origin: string,
  unchangedSerial?: number,
): Zone {
  const records = parseZoneFile(text, {
    file: path,
    origin,
    read: (p, max) => readBounded(p, max),
    ...(unchangedSerial === undefined ? {} : { unchangedSerial }),
  })
  return new Zone(origin, records, path)
}

export class ZoneFile implements ZoneSource {
  readonly origin: string
  readonly path: string
  readonly byMtime: boolean
  zone: Zone | undefined
  #mtimeMs = -1
  #reading = false

  constructor(origin: string, path: string, byMtime: boolean) {
    this.origin = origin
    this.path = path
    this.byMtime = byMtime
  }

  /** The first read, at setup: every error is the caller's to report. */
  load(): void {
    const text = readBounded(this.path, MAX_ZONE_BYTES)
    this.#mtimeMs = mtimeOf(this.path)
    this.zone = readZone(text, this.path, this.origin)
  }

  /** One reload tick; never throws. */
  async reload(): Promise<void> {
    if (this.#reading) return
    this.#reading = true
    try {
      let mtimeMs = -1
      if (this.byMtime) {
        mtimeMs = (await stat(this.path)).mtimeMs
        if (mtimeMs <= this.#mtimeMs) return
      }
      const text = await readBoundedAsync(this.path, MAX_ZONE_BYTES)
      // by mtime, any change is read; else a serial equal to the one served means no change
      const served = this.byMtime ? undefined : this.zone?.serial
      const zone = readZone(text, this.path, this.origin, served)
      this.zone = zone
      if (mtimeMs >= 0) this.#mtimeMs = mtimeMs
      const where = `zone "${this.origin}" in "${this.path}"`
      log.info(`Successfully reloaded ${where} with ${zone.serial} SOA serial`)
    } catch (err) {
      if (err instanceof UnchangedSerial) return
      const code = (err as NodeJS.ErrnoException).code
      const why = (err as Error).message
      if (code === undefined) log.error(`Parsing zone "${this.origin}": ${why}`)
      else log.error(`Failed to open zone "${this.origin}" in "${this.path}": ${why}`)
    } finally {
      this.#reading = false
    }
  }
}

/** The file's modification time, or -1 (then the first reload_by_mtime tick reads it). */
function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs
  } catch {
    return -1
  }
}
