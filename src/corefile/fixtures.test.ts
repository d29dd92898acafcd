// Corefiles and helpers shared by the tests. No tests here: the name keeps it out of
// the build (tsconfig.build.json excludes *.test.ts).

import assert from 'node:assert/strict'
import type { Directive, ServerBlock, Token } from './ast.ts'
import { CorefileError, CorefileErrors } from './errors.ts'

/** The errors `fn` throws, as a list whether it threw one or several. */
export function errorsOf(fn: () => unknown): readonly CorefileError[] {
  try {
    fn()
  } catch (err) {
    if (err instanceof CorefileErrors) return err.errors
    if (err instanceof CorefileError) return [err]
    throw err
  }
  assert.fail('expected a CorefileError')
}

/** Blocks in one line: `keys { directive args { inner; inner }; next } | next block`. */
export function summary(blocks: readonly ServerBlock[]): string {
  return blocks.map((b) => `${b.keys.map(word).join(' ')} ${braces(b.directives)}`).join(' | ')
}

function braces(directives: readonly Directive[]): string {
  const inner = directives
    .map((d) => [d.name, ...d.args].map(word).join(' ') + (d.block ? ` ${braces(d.block)}` : ''))
    .join('; ')
  return inner === '' ? '{ }' : `{ ${inner} }`
}

function word(t: Token): string {
  return /^[^\s;{}|"]+$/u.test(t.text) ? t.text : JSON.stringify(t.text)
}

/** kubernetes nodelocaldns.yaml with its __PILLAR__ placeholders filled in (iptables mode). */
export const NODE_LOCAL = `cluster.local:53 {
    errors
    cache {
            success 9984 30
            denial 9984 5
    }
    reload
    loop
    bind 169.254.20.10 10.96.0.10
    forward . 10.96.0.10 {
            force_tcp
    }
    prometheus :9253
    health 169.254.20.10:8080
    }
in-addr.arpa:53 {
    errors
    cache 30
    reload
    loop
    bind 169.254.20.10 10.96.0.10
    forward . 10.96.0.10 {
            force_tcp
    }
    prometheus :9253
    }
ip6.arpa:53 {
    errors
    cache 30
    reload
    loop
    bind 169.254.20.10 10.96.0.10
    forward . 10.96.0.10 {
            force_tcp
    }
    prometheus :9253
    }
.:53 {
    errors
    cache 30
    reload
    loop
    bind 169.254.20.10 10.96.0.10
    forward . /etc/resolv.conf
    prometheus :9253
    }
`

/** kubeadm's default CoreDNS Corefile. */
export const KUBEADM = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`

/** After AKS LocalDNS's template (Azure/AgentBaker localdns.toml.gtpl), one listener. */
export const AKS_LOCALDNS = `# VnetDNS overrides: traffic from the node and from dnsPolicy: Default pods
.:53 {
    log
    bind 169.254.10.10
    # Forward to the VNet's DNS, one after the other
    forward . 168.63.129.16 {
        policy sequential
        max_concurrent 1000
        health_check 10s no_rec
    }
    ready 169.254.10.10:8181
    cache 3600 {
        success 9984
        denial 9984
        serve_stale 3600s verify
        servfail 0
    }
    loop
    nsid localdns
    prometheus :9253
    template ANY ANY internal.cloudapp.net {
        match "^(?:[^.]+\\.){4,}internal\\.cloudapp\\.net\\.$"
        rcode NXDOMAIN
        fallthrough
    }
}
health-check.localdns.local:53 {
    bind 169.254.10.10
    whoami
}
`

export interface ValidCase {
  readonly name: string
  readonly input: string
  readonly expect: string
  readonly env?: Record<string, string>
}

const ENV = {
  ZONE: 'example.org',
  PORT: '1053',
  DIR: 'whoami',
  SPACED: 'a b',
  QUOTE: '"',
  EMPTY: '',
}

// prettier-ignore
export const VALID: readonly ValidCase[] = [
  // structure
  { name: 'empty file', input: '', expect: '' },
  { name: 'only blank lines', input: '\n\n   \n\t\n', expect: '' },
  { name: 'only comments', input: '# nothing here\n   # still nothing\n', expect: '' },
  { name: 'one block', input: '. {\n    whoami\n}\n', expect: '. { whoami }' },
  { name: 'builtin', input: '.:53 {\n    whoami\n    log\n}\n', expect: '.:53 { whoami; log }' },
  { name: 'brace-less block to EOF', input: 'example.org\nwhoami\nlog', expect: 'example.org { whoami; log }' },
  { name: 'brace-less with nested block', input: 'example.org\ncache {\n success 10\n}\nlog', expect: 'example.org { cache { success 10 }; log }' },
  { name: 'keys only', input: 'localhost', expect: 'localhost { }' },
  { name: 'several keys', input: 'a.example b.example:1053 {\n whoami\n}', expect: 'a.example b.example:1053 { whoami }' },
  { name: 'comma keys', input: 'a.example, b.example {\n}', expect: 'a.example b.example { }' },
  { name: 'comma keys across lines', input: 'a.example,\n  b.example,\n  c.example {\n whoami\n}', expect: 'a.example b.example c.example { whoami }' },
  { name: 'comma keys then brace-less', input: 'a.example,\nb.example\nwhoami', expect: 'a.example b.example { whoami }' },
  { name: "server block '{' on the next line", input: 'example.org\n{\n  whoami\n}\n', expect: 'example.org { whoami }' },
  { name: 'two blocks', input: 'a.example {\n whoami\n}\nb.example {\n log\n}', expect: 'a.example { whoami } | b.example { log }' },
  { name: 'blocks without blank lines or indentation', input: 'a {\nwhoami\n}\nb {\nlog\n}', expect: 'a { whoami } | b { log }' },
  { name: 'empty block on one line', input: '. { }\n', expect: '. { }' },
  // braces as caddy counts them (coredns/caddy caddyfile/parse.go: directives(), directive(), addresses())
  { name: "a server block's first directive after '{'", input: '. { whoami\n    log\n}', expect: '. { whoami; log }' },
  { name: "a directive's first property after '{'", input: '. {\n forward . 1.1.1.1 { force_tcp\n  max_fails 3\n }\n}', expect: '. { forward . 1.1.1.1 { force_tcp; max_fails 3 } }' },
  { name: "a line after '{' opening its own block", input: '. { cache 30 { success 10\n }\n}', expect: '. { cache 30 { success 10 } }' },
  { name: "a property after '{' opening its own block", input: 'a {\n b { c {\n   d\n  }\n }\n}', expect: 'a { b { c { d } } }' },
  { name: "server block '{' on the next line, then a directive", input: 'example.org\n{ whoami\n}', expect: 'example.org { whoami }' },
  { name: "a quoted '{' then the block's first line", input: '. {\n a "{" b\n }\n}', expect: '. { a { b } }' },
  { name: "import after a server block's '{'", input: '(s) {\n log\n}\n. { import s\n}', expect: '. { log }' },
  // caddy's directive() takes an `import` for an import only first on its line
  { name: "'import' after a directive's '{' is a property", input: '(s) {\n force_tcp\n}\n. {\n forward . 1.1.1.1 { import s\n }\n}', expect: '. { forward . 1.1.1.1 { import s } }' },
  { name: "keys after '}'", input: '. {\n whoami\n} example.org {\n log\n}', expect: '. { whoami } | example.org { log }' },
  { name: "keys after '}', brace-less", input: 'a.example {\n whoami\n} b.example\nlog', expect: 'a.example { whoami } | b.example { log }' },
  { name: "keys after '}', '{' on the next line", input: 'a {\n} b\n{\n}', expect: 'a { } | b { }' },
  { name: "keys after a snippet's '}'", input: '(s) {\n log\n} example.org {\n import s\n}', expect: 'example.org { log }' },
  // caddy's addresses() takes an `import` for an import only first on its line
  { name: "'import' after '}' is a key", input: 'a {\n} import b {\n}', expect: 'a { } | import b { }' },
  { name: "'}' ending a brace-less block", input: 'example.org\nwhoami\n}', expect: 'example.org { whoami }' },
  { name: "'}' ending an empty brace-less block", input: 'example.org\n}\n', expect: 'example.org { }' },
  { name: "'}' ending a brace-less block, then a block", input: 'a.example\nwhoami\n}\nb.example {\n log\n}', expect: 'a.example { whoami } | b.example { log }' },
  { name: "'}' ending a brace-less block, keys after it", input: 'a.example\ncache {\n}\n} b.example { # b\n log\n}', expect: 'a.example { cache { } } | b.example { log }' },
  { name: 'empty block over two lines', input: '. {\n}\n', expect: '. { }' },
  { name: 'empty directive block', input: '. {\n forward . 1.1.1.1 { }\n}', expect: '. { forward . 1.1.1.1 { } }' },
  { name: 'nested blocks', input: '. {\n a {\n  b {\n   c 1\n  }\n  d\n }\n}', expect: '. { a { b { c 1 }; d } }' },
  { name: 'repeated directives stay separate', input: '. {\n forward . 1.1.1.1\n forward example.org 2.2.2.2\n}', expect: '. { forward . 1.1.1.1; forward example.org 2.2.2.2 }' },
  { name: 'blank lines and odd indentation', input: '\n\n   . {\n\n\n      whoami\n\n  log\n\n    }\n\n', expect: '. { whoami; log }' },
  { name: 'last line without newline', input: '. {\n whoami\n}', expect: '. { whoami }' },
  { name: 'long argument list', input: '. {\n bind 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6\n}', expect: '. { bind 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 }' },
  { name: "'import' as an argument is a word", input: '. {\n basicauth / import password\n}', expect: '. { basicauth / import password }' },
  { name: 'scheme and port in keys', input: 'dns://example.org:1053 {\n whoami\n}', expect: 'dns://example.org:1053 { whoami }' },
  { name: 'CIDR key as written', input: '10.0.0.0/15 {\n whoami\n}', expect: '10.0.0.0/15 { whoami }' },
  { name: 'unicode zone', input: 'bücher.example {\n whoami\n}', expect: 'bücher.example { whoami }' },
  { name: 'braces inside words', input: '. {\n x {} a{ }b {{ }}\n}', expect: '. { x "{}" "a{" "}b" "{{" "}}" }' },
  // quotes
  { name: 'quoted argument', input: '. {\n a "quoted value" b\n}', expect: '. { a "quoted value" b }' },
  { name: 'quotes across lines', input: '. {\n answer "a\nb" c\n log\n}', expect: '. { answer "a\\nb" c; log }' },
  { name: 'escaped quotes', input: '. {\n a "say \\"hi\\"" b\n}', expect: '. { a "say \\"hi\\"" b }' },
  { name: 'other backslashes stay', input: '. {\n a "C:\\\\dir\\x" "\\\\." \\.\n}', expect: '. { a C:\\\\dir\\x \\\\. \\. }' },
  { name: 'empty quoted argument', input: '. {\n a "" b\n}', expect: '. { a "" b }' },
  { name: 'empty quoted key is dropped', input: '"" example.org {\n whoami\n}', expect: 'example.org { whoami }' },
  { name: 'quoted key', input: '"example.org" {\n whoami\n}', expect: 'example.org { whoami }' },
  // caddy's parser nests on the quoted braces and its dispenser sees an empty block
  { name: 'quoted braces are braces', input: '. {\n a "{" "}"\n}', expect: '. { a { } }' },
  { name: 'quote inside a word is literal', input: '. {\n a foo"bar" x\\"y\n}', expect: '. { a "foo\\"bar\\"" "x\\\\\\"y" }' },
  { name: 'a quoted token ends at its quote', input: '. {\n a "b"c\n}', expect: '. { a b c }' },
  { name: 'quoted hash is kept', input: '. {\n expr "a#b"\n}', expect: '. { expr a#b }' },
  { name: 'go template in quotes', input: '. {\n answer "{{ .Name }} 60 IN A 127.0.0.1"\n}', expect: '. { answer "{{ .Name }} 60 IN A 127.0.0.1" }' },
  // comments
  { name: 'comment lines in a block', input: '. {\n # first\n whoami # trailing\n # last\n}', expect: '. { whoami }' },
  { name: 'comments after braces', input: '. { # open\n whoami\n} # close\n', expect: '. { whoami }' },
  { name: "'#' in the middle of a word", input: '. {\n forward . 1.2.3.4#comment\n}', expect: '. { forward . 1.2.3.4 }' },
  { name: "mid-word '#' hides only the rest of the word (caddy)", input: '. {\n forward . 1.2.3.4#x 5.6.7.8\n}', expect: '. { forward . 1.2.3.4 5.6.7.8 }' },
  { name: "'#' starting a token hides the line", input: '. {\n forward . 1.2.3.4 #x 5.6.7.8\n}', expect: '. { forward . 1.2.3.4 }' },
  { name: "'{#...' is still a brace", input: '. {#main\n whoami\n}', expect: '. { whoami }' },
  // whitespace and encodings
  { name: 'BOM', input: '\uFEFF. {\n whoami\n}\n', expect: '. { whoami }' },
  { name: 'CRLF', input: '. {\r\n    whoami\r\n    log\r\n}\r\n', expect: '. { whoami; log }' },
  { name: "'\\r' inside a word is dropped", input: '. {\n who\rami\n}', expect: '. { whoami }' },
  { name: "'\\r' inside quotes is kept", input: '. {\n a "x\ry"\n}', expect: '. { a "x\\ry" }' },
  { name: 'tabs', input: '.\t{\n\twhoami\tx\n}', expect: '. { whoami x }' },
  { name: 'unicode whitespace separates', input: '. {\n a\u00a0b\u2003c\u3000d\n}', expect: '. { a b c d }' },
  // environment
  { name: 'env in a key', input: '{$ZONE}:{$PORT} {\n whoami\n}', expect: 'example.org:1053 { whoami }', env: ENV },
  { name: 'windows-style env', input: '{%ZONE%} {\n whoami\n}', expect: 'example.org { whoami }', env: ENV },
  { name: 'env in a directive name', input: '. {\n {$DIR}\n}', expect: '. { whoami }', env: ENV },
  { name: 'env value is not re-lexed', input: '. {\n a {$SPACED} {$QUOTE}\n}', expect: '. { a "a b" "\\"" }', env: ENV },
  { name: 'unset env is empty', input: '. {\n a x{$NOPE}y {$NOPE}\n}', expect: '. { a xy "" }', env: ENV },
  { name: 'env inside quotes', input: '. {\n answer "{{ .Name }} {$ZONE}"\n}', expect: '. { answer "{{ .Name }} example.org" }', env: ENV },
  { name: 'malformed env stays', input: '. {\n a {%ZONE} {$} {%%}\n}', expect: '. { a "{%ZONE}" "{$}" "{%%}" }', env: ENV },
  { name: 'env name runs to the brace', input: '. {\n a :{$PORT$}\n}', expect: '. { a : }', env: ENV },
  { name: 'env key that is empty drops the key', input: '{$EMPTY} b.example {\n}', expect: 'b.example { }', env: ENV },
  // caddy compares token texts, so a quoted brace opens and closes blocks
  { name: 'quoted braces', input: '. "{"\n whoami\n"}"', expect: '. { whoami }' },
  { name: 'quoted braces of a directive', input: '. {\n forward . 1.1.1.1 "{"\n  force_tcp\n "}"\n}', expect: '. { forward . 1.1.1.1 { force_tcp } }' },
  // snippets
  { name: 'snippet', input: '(common) {\n errors\n cache 30\n}\n. {\n import common\n whoami\n}', expect: '. { errors; cache 30; whoami }' },
  { name: 'snippet in two blocks', input: '(c) {\n log\n}\na {\n import c\n}\nb {\n import c\n}', expect: 'a { log } | b { log }' },
  { name: 'snippet inside a directive block', input: '(opts) {\n force_tcp\n max_fails 3\n}\n. {\n forward . 1.1.1.1 {\n  import opts\n }\n}', expect: '. { forward . 1.1.1.1 { force_tcp; max_fails 3 } }' },
  { name: 'snippet of server blocks at top level', input: '(servers) {\n a.example {\n  whoami\n }\n b.example {\n  log\n }\n}\nimport servers', expect: 'a.example { whoami } | b.example { log }' },
  { name: 'snippet importing a snippet', input: '(a) {\n log\n}\n(b) {\n import a\n errors\n}\n. {\n import b\n}', expect: '. { log; errors }' },
  { name: 'snippet named by env', input: '(common) {\n log\n}\n. {\n import {$SNIP}\n}', expect: '. { log }', env: { SNIP: 'common' } },
  { name: 'snippet in a brace-less block', input: '(c) {\n log\n}\nexample.org\nimport c\nwhoami', expect: 'example.org { log; whoami }' },
  { name: 'snippet keeps its nested blocks', input: '(c) {\n cache {\n  success 10\n }\n}\n. {\n import c\n}', expect: '. { cache { success 10 } }' },
  { name: "'import' from env in key position", input: '(s) {\n a.example {\n }\n}\n{$IMP} s', expect: 'a.example { }', env: { IMP: 'import' } },
  { name: 'only a snippet', input: '(unused) {\n log\n}\n', expect: '' },
  // caddy's self-import guard only looks at an 'import' first on its line
  { name: "snippet naming itself after a mid-line 'import'", input: '(s) {\n log import s\n}\n. {\n import s\n}', expect: '. { log import s }' },
  // real world
  {
    name: 'node-local-dns',
    input: NODE_LOCAL,
    expect: [
      'cluster.local:53 { errors; cache { success 9984 30; denial 9984 5 }; reload; loop; bind 169.254.20.10 10.96.0.10; forward . 10.96.0.10 { force_tcp }; prometheus :9253; health 169.254.20.10:8080 }',
      'in-addr.arpa:53 { errors; cache 30; reload; loop; bind 169.254.20.10 10.96.0.10; forward . 10.96.0.10 { force_tcp }; prometheus :9253 }',
      'ip6.arpa:53 { errors; cache 30; reload; loop; bind 169.254.20.10 10.96.0.10; forward . 10.96.0.10 { force_tcp }; prometheus :9253 }',
      '.:53 { errors; cache 30; reload; loop; bind 169.254.20.10 10.96.0.10; forward . /etc/resolv.conf; prometheus :9253 }',
    ].join(' | '),
  },
  {
    name: 'kubeadm',
    input: KUBEADM,
    expect:
      '.:53 { errors; health { lameduck 5s }; ready; kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough in-addr.arpa ip6.arpa; ttl 30 }; prometheus :9153; forward . /etc/resolv.conf { max_concurrent 1000 }; cache 30 { disable success cluster.local; disable denial cluster.local }; loop; reload; loadbalance }',
  },
  {
    name: 'AKS LocalDNS',
    input: AKS_LOCALDNS,
    expect:
      '.:53 { log; bind 169.254.10.10; forward . 168.63.129.16 { policy sequential; max_concurrent 1000; health_check 10s no_rec }; ready 169.254.10.10:8181; cache 3600 { success 9984; denial 9984; serve_stale 3600s verify; servfail 0 }; loop; nsid localdns; prometheus :9253; template ANY ANY internal.cloudapp.net { match "^(?:[^.]+\\\\.){4,}internal\\\\.cloudapp\\\\.net\\\\.$"; rcode NXDOMAIN; fallthrough } } | health-check.localdns.local:53 { bind 169.254.10.10; whoami }',
  },
]
