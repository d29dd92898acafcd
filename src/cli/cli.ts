// tsdns command line: CoreDNS's flags for serving, plus check / fmt / query for authors.

import { plugins } from '../../plugins/order.ts'
import { stdout } from '../plugin/output.ts'
import { isNodeCacheMode, nodeCacheFlags, parseNodeCacheFlags } from '../nodecache/flags.ts'
import { check } from './check.ts'
import { FlagError, parseFlags } from './flags.ts'
import { fmt } from './fmt.ts'
import { query } from './query.ts'
import { serve } from './serve.ts'
import { DEFAULT_ADDR, top } from './top.ts'
import { banner } from './version.ts'

const USAGE = `usage:
  tsdns [-conf FILE|stdin] [-dns.port PORT] [-pidfile FILE] [-quiet]   serve
  tsdns -localip IP[,IP] [node-cache flags] [serve flags]    serve as node-local-dns's node-cache
  tsdns -plugins | -version
  tsdns check FILE...                 report every error in each Corefile
  tsdns fmt [-w] FILE                 print (or rewrite) a Corefile in canonical layout
  tsdns query [-conf FILE] NAME [TYPE] run one query through the chains, in process
  tsdns top [-addr HOST:PORT] [-once] [-json] [-window 1m|10m]   the status plugin's live view
`

const serveFlags = {
  conf: { names: ['conf'] },
  port: { names: ['dns.port', 'p'] },
  pidfile: { names: ['pidfile'] },
  quiet: { names: ['quiet'], bool: true },
  plugins: { names: ['plugins'], bool: true },
  version: { names: ['version'], bool: true },
  help: { names: ['h', 'help'], bool: true },
  ...nodeCacheFlags,
}

function port(v: string | undefined): number {
  if (v === undefined) return 53
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new FlagError(`invalid port "${v}" for -dns.port`)
  return n
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  if (cmd === 'check') {
    const { values, rest: files } = parseFlags(rest, { port: serveFlags.port })
    if (files.length === 0) throw new FlagError('check: no Corefile given')
    return check(files, port(values.get('port')))
  }
  if (cmd === 'fmt') {
    const { values, rest: files } = parseFlags(rest, { write: { names: ['w'], bool: true } })
    if (files.length !== 1) throw new FlagError('fmt: exactly one Corefile expected')
    return fmt(files[0]!, values.get('write') === 'true')
  }
  if (cmd === 'query') {
    const { values, rest: args } = parseFlags(rest, { conf: serveFlags.conf, port: serveFlags.port })
    if (args.length < 1 || args.length > 2) throw new FlagError('query: NAME [TYPE] expected')
    return query(values.get('conf'), port(values.get('port')), args[0]!, args[1])
  }
  if (cmd === 'top') {
    const { values, rest: args } = parseFlags(rest, {
      addr: { names: ['addr'] }, once: { names: ['once'], bool: true },
      json: { names: ['json'], bool: true }, window: { names: ['window'] },
    })
    const window = values.get('window') ?? '1m'
    if (args.length > 0 || (window !== '1m' && window !== '10m')) {
      throw new FlagError('top: [-addr HOST:PORT] [-once] [-json] [-window 1m|10m] expected')
    }
    return top({ addr: values.get('addr') ?? DEFAULT_ADDR, once: values.get('once') === 'true',
      json: values.get('json') === 'true', window })
  }
  const { values, rest: extra } = parseFlags(argv, serveFlags)
  if (values.get('help') === 'true') {
    process.stdout.write(USAGE)
    return 0
  }
  if (extra.length > 0) throw new FlagError(`extra command line arguments: ${extra.join(' ')}`)
  if (values.get('version') === 'true') {
    process.stdout.write(banner() + '\n')
    return 0
  }
  if (values.get('plugins') === 'true') {
    process.stdout.write([...plugins.keys()].sort().join('\n') + '\n')
    return 0
  }
  const opts = {
    conf: values.get('conf'),
    port: port(values.get('port')),
    pidfile: values.get('pidfile'),
    quiet: values.get('quiet') === 'true',
  }
  if (isNodeCacheMode(values)) {
    const { runNodeCache } = await import('../nodecache/node-cache.ts') // its metrics only then
    return runNodeCache(parseNodeCacheFlags(values, opts.port, opts.conf), opts)
  }
  return serve(opts)
}

/** Runs the command and exits with its status. */
export function run(argv: string[]): void {
  stdout.take()
  main(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof FlagError) {
        process.stderr.write(`${err.message}\n${USAGE}`)
        process.exit(2)
      }
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exit(1)
    },
  )
}
