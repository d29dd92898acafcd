// Every plugin's metric families, registered at start whichever plugins the Corefile names: CoreDNS
// compiles all its plugins in and each registers its families at init, so its /metrics shows the
// unlabelled ones of plugins a Corefile does not use (coredns_health_request_duration_seconds,
// coredns_local_localhost_requests_total...). Setups load on demand (order.ts); these small modules
// do not. A plugin with a metrics.ts adds its line here.

import '../src/plugin/panics.ts' // counted by the server and errors, registered at init too
import './acl/metrics.ts'
import './cache/metrics.ts'
import './dns64/metrics.ts'
import './forward/metrics.ts'
import './health/metrics.ts'
import './hosts/metrics.ts'
import './local/metrics.ts'
import './prometheus/metrics.ts'
import './reload/metrics.ts'
import './template/metrics.ts'
