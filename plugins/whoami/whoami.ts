// whoami: tells the client its own address, port and transport (CoreDNS plugin/whoami).

import type { Handler, Msg } from '../../src/plugin/plugin.ts'
import { className, packetName, replyMsg } from '../../src/plugin/msg.ts'
import { Flag } from '../../src/wire/message.ts'

export const whoami: Handler = {
  name: 'whoami',
  serveDNS(_ctx, w, r) {
    const m: Msg = replyMsg(r, 0, Flag.AA)
    const name = packetName(r.qname)
    const klass = className(r.class) as never
    const srvName = r.qname === '.' ? `_${r.proto}` : `_${r.proto}.${name}`
    m.additionals = [
      w.remote.family === 4
        ? { name, type: 'A', class: klass, ttl: 0, data: w.remote.address }
        : { name, type: 'AAAA', class: klass, ttl: 0, data: w.remote.address },
      {
        name: srvName,
        type: 'SRV',
        class: klass,
        ttl: 0,
        data: { priority: 0, weight: 0, port: w.remote.port, target: '.' },
      },
    ]
    w.writeMsg(m, 'whoami')
    return 0
  },
}
