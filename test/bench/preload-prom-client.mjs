// The cheapest common alternative to loopwatch: prom-client's default metrics (event-loop lag
// percentiles from monitorEventLoopDelay, GC, heap, handles), loaded the way a service would.
//
//   node --import ./test/bench/preload-prom-client.mjs app.js
//
// Nothing scrapes it during the benchmark, so this is the steady-state cost of collecting, not of
// serving /metrics (a scrape every 15 s would add little next to a few seconds of load).
import { collectDefaultMetrics } from 'prom-client';

collectDefaultMetrics();
