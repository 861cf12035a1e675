// Builds dashboards/loopwatch.json. Edit this file, then `npm run dashboard`; a test fails when the
// committed JSON and this builder disagree (`node dashboards/build.mjs --check`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const OUTPUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'loopwatch.json');
const ds = { type: 'prometheus', uid: '${datasource}' };
const sel = (extra = '') => `{job=~"$job", instance=~"$instance"${extra}}`;
/** Stall families also carry `phase` (startup, runtime): the Phase variable keeps a slow boot apart. */
const stallSel = () => sel(', phase=~"$phase"');
let id = 0;
const panels = [];
let y = 0;
function panel(type, title, description, targets, gridPos, extra = {}) {
  id += 1;
  const refIds = 'ABCDEFGH';
  panels.push({
    id, type, title, description, datasource: ds, gridPos,
    targets: targets.map((t, i) => ({ datasource: ds, refId: refIds[i], editorMode: 'code', range: !t.instant, instant: !!t.instant, ...t })),
    ...extra,
  });
}
function row(title) { id += 1; panels.push({ id, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] }); y += 1; }
const ts = (unit, extraDefaults = {}) => ({ fieldConfig: { defaults: { unit, custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never' }, ...extraDefaults }, overrides: [] }, options: { legend: { displayMode: 'table', placement: 'bottom', calcs: ['max', 'mean'] }, tooltip: { mode: 'multi', sort: 'desc' } } });

row('Stalls');
panel('timeseries', 'Stalls per second by site', 'Event-loop stalls longer than the threshold, by the source line that was blocking (site="other": sites beyond LOOPWATCH_METRICS_MAX_SITES; "unattributed": no stack).',
  [{ expr: `sum by (site) (rate(loopwatch_eventloop_stalls_total${stallSel()}[$__rate_interval]))`, legendFormat: '{{site}}' }], { h: 8, w: 12, x: 0, y }, ts('ops'));
panel('timeseries', 'Stall duration percentiles', 'From the histogram of stall durations: one observation per stall, so a single long stall shows (a p99 of loop delay hides it).',
  [0.5, 0.9, 0.99].map((q) => ({ expr: `histogram_quantile(${q}, sum by (le) (rate(loopwatch_eventloop_stall_seconds_bucket${stallSel()}[$__rate_interval])))`, legendFormat: `p${q * 100}` })), { h: 8, w: 12, x: 12, y }, ts('s'));
y += 8;
panel('heatmap', 'Stall duration heatmap', 'How many stalls fell in each duration bucket, over time.',
  [{ expr: `sum by (le) (increase(loopwatch_eventloop_stall_seconds_bucket${stallSel()}[$__interval]))`, legendFormat: '{{le}}', format: 'heatmap' }], { h: 8, w: 12, x: 0, y },
  { options: { calculate: false, yAxis: { unit: 's', axisPlacement: 'left' }, cellGap: 1, color: { mode: 'scheme', scheme: 'Oranges', steps: 64 }, rowsFrame: { layout: 'auto' }, tooltip: { mode: 'single', yHistogram: true } }, fieldConfig: { defaults: {}, overrides: [] } });
panel('table', 'Top blocking sites', 'Per site over the dashboard range: stalls, total time blocked, longest single stall.',
  [
    { expr: `topk(20, sum by (site) (increase(loopwatch_eventloop_stalls_total${stallSel()}[$__range])))`, instant: true, format: 'table', legendFormat: '__auto' },
    { expr: `sum by (site) (increase(loopwatch_eventloop_blocked_seconds_total${stallSel()}[$__range]))`, instant: true, format: 'table', legendFormat: '__auto' },
    { expr: `max by (site) (max_over_time(loopwatch_eventloop_stall_max_seconds${stallSel()}[$__range]))`, instant: true, format: 'table', legendFormat: '__auto' },
  ], { h: 8, w: 12, x: 12, y },
  {
    transformations: [
      { id: 'merge', options: {} },
      { id: 'organize', options: { excludeByName: { Time: true }, renameByName: { site: 'Site', 'Value #A': 'Stalls', 'Value #B': 'Blocked (s)', 'Value #C': 'Longest (s)' }, indexByName: { site: 0, 'Value #A': 1, 'Value #B': 2, 'Value #C': 3 } } },
      { id: 'sortBy', options: { sort: [{ field: 'Blocked (s)', desc: true }] } },
    ],
    fieldConfig: { defaults: { decimals: 2 }, overrides: [] },
    options: { showHeader: true, cellHeight: 'sm' },
  });
y += 8;
row('Requests');
panel('timeseries', 'Blocked time by route', 'Seconds per second the loop was blocked in each HTTP route\'s code (route template, or the path with ids folded; "none": outside any request while requests were in flight; "other": routes beyond LOOPWATCH_METRICS_MAX_SITES).',
  [{ expr: `sum by (route) (rate(loopwatch_eventloop_route_blocked_seconds_total${sel()}[$__rate_interval]))`, legendFormat: '{{route}}' }], { h: 8, w: 12, x: 0, y }, ts('s'));
panel('timeseries', 'Requests delayed by stalls, by route', 'HTTP requests in flight while a stall blocked the loop, per second, by the route whose code blocked it.',
  [{ expr: `sum by (route) (rate(loopwatch_eventloop_delayed_requests_total${sel()}[$__rate_interval]))`, legendFormat: '{{route}}' }], { h: 8, w: 12, x: 12, y }, ts('reqps'));
y += 8;
row('Event loop');
panel('timeseries', 'Event-loop delay', 'monitorEventLoopDelay between scrapes, timer resolution subtracted (an idle loop reads ~0). The max catches one-off stalls that p99 misses.',
  [
    { expr: `max by (instance) (loopwatch_eventloop_delay_seconds${sel(', percentile="99"')})`, legendFormat: 'p99 {{instance}}' },
    { expr: `max by (instance) (loopwatch_eventloop_delay_max_seconds${sel()})`, legendFormat: 'max {{instance}}' },
  ], { h: 8, w: 8, x: 0, y }, ts('s'));
panel('timeseries', 'Event-loop utilization', 'Fraction of time the loop was busy running JavaScript or native callbacks.',
  [
    { expr: `max by (instance) (loopwatch_eventloop_utilization_ratio${sel()})`, legendFormat: 'at scrape {{instance}}' },
    { expr: `sum by (instance) (rate(loopwatch_eventloop_time_seconds_total${sel(', state="active"')}[$__rate_interval])) / sum by (instance) (rate(loopwatch_eventloop_time_seconds_total${sel()}[$__rate_interval]))`, legendFormat: 'avg {{instance}}' },
  ], { h: 8, w: 8, x: 8, y }, ts('percentunit', { min: 0, max: 1 }));
panel('timeseries', 'Busy loop: time by site', 'A saturated loop (busy past LOOPWATCH_BUSY_PERCENT, every callback under the stall threshold): the share of wall time spent at each site, from 10 Hz stack samples. Empty while the loop is not saturated.',
  [{ expr: `sum by (site) (rate(loopwatch_eventloop_busy_seconds_total${sel()}[$__rate_interval]))`, legendFormat: '{{site}}' }], { h: 8, w: 8, x: 16, y }, ts('percentunit', { min: 0 }));
y += 8;
row('Blocking APIs and promises');
panel('timeseries', 'Sync-API time by API', 'Seconds per second the loop spent inside *Sync calls (fs, crypto, zlib, child_process, JSON): 1 means fully blocked.',
  [{ expr: `sum by (api) (rate(loopwatch_sync_api_seconds_total${sel()}[$__rate_interval]))`, legendFormat: '{{api}}' }], { h: 8, w: 8, x: 0, y }, ts('s'));
panel('timeseries', 'Sync-API calls per second by API', 'How often each timed *Sync API is called: many fast calls add up too.',
  [{ expr: `sum by (api) (rate(loopwatch_sync_api_calls_total${sel()}[$__rate_interval]))`, legendFormat: '{{api}}' }], { h: 8, w: 8, x: 8, y }, ts('ops'));
panel('timeseries', 'Unhandled rejections and floating promises', 'Rejections nobody handled, handled too late, and promises garbage-collected without ever being awaited.',
  [
    { expr: `sum(increase(loopwatch_unhandled_rejections_total${sel()}[$__rate_interval]))`, legendFormat: 'unhandled rejections' },
    { expr: `sum(increase(loopwatch_rejections_handled_late_total${sel()}[$__rate_interval]))`, legendFormat: 'handled late' },
    { expr: `sum(increase(loopwatch_floating_promises_total${sel()}[$__rate_interval]))`, legendFormat: 'floating promises' },
  ], { h: 8, w: 8, x: 16, y }, ts('short'));
y += 8;
row('Per process / cluster worker');
panel('timeseries', 'Stalls per second by worker', 'One line per process and cluster worker (worker="" outside a cluster): a stalled worker stays visible, never averaged away.',
  [{ expr: `sum by (instance, worker) (rate(loopwatch_eventloop_stalls_total${stallSel()}[$__rate_interval]))`, legendFormat: '{{instance}} worker {{worker}}' }], { h: 8, w: 12, x: 0, y }, ts('ops'));
panel('timeseries', 'Max event-loop delay by worker', 'The worst delay of each process and cluster worker (max, not an average).',
  [{ expr: `max by (instance, worker) (loopwatch_eventloop_delay_max_seconds${sel()})`, legendFormat: '{{instance}} worker {{worker}}' }], { h: 8, w: 12, x: 12, y }, ts('s'));
y += 8;
panel('table', 'loopwatch versions', 'Which loopwatch version and mode each process runs.',
  [{ expr: `loopwatch_info${sel()}`, instant: true, format: 'table', legendFormat: '__auto' }], { h: 5, w: 16, x: 0, y },
  { transformations: [{ id: 'organize', options: { excludeByName: { Time: true, Value: true, __name__: true } } }], fieldConfig: { defaults: {}, overrides: [] }, options: { showHeader: true } });
panel('stat', 'Stalls folded into "other"', 'Non-zero: more distinct sites (or routes) than LOOPWATCH_METRICS_MAX_SITES; raise it or fix the top sites first.',
  [
    { expr: `sum(increase(loopwatch_sites_overflow_total${sel()}[$__range]))`, instant: true, legendFormat: 'sites' },
    { expr: `sum(increase(loopwatch_routes_overflow_total${sel()}[$__range])) or vector(0)`, instant: true, legendFormat: 'routes' },
  ], { h: 5, w: 4, x: 16, y },
  { fieldConfig: { defaults: { unit: 'short', thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 1 }] } }, overrides: [] }, options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none' } });
panel('stat', 'Ignored stalls', 'Stalls at sites LOOPWATCH_IGNORE_SITES names: accepted blockers, counted in no other stall panel.',
  [{ expr: `sum(increase(loopwatch_eventloop_ignored_stalls_total${sel()}[$__range]))`, instant: true, legendFormat: 'ignored' }], { h: 5, w: 4, x: 20, y },
  { fieldConfig: { defaults: { unit: 'short', thresholds: { mode: 'absolute', steps: [{ color: 'text', value: null }] } }, overrides: [] }, options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none' } });

const variable = (name, label, query) => ({
  name, label, type: 'query', datasource: ds,
  query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 }, definition: query,
  includeAll: true, multi: true, allValue: '.*', current: { text: ['All'], value: ['$__all'] }, refresh: 2, sort: 1, regex: '', hide: 0,
});
const dashboard = {
  __generated: 'by dashboards/build.mjs: edit that file, then run npm run dashboard',
  title: 'loopwatch — Node.js event-loop stalls',
  uid: 'loopwatch',
  description: 'Event-loop stalls by blocking source line, loop delay and utilization, sync-API time, promise problems. Metrics from loopwatch (node --require loopwatch/preload, LOOPWATCH_METRICS_PORT).',
  tags: ['nodejs', 'loopwatch', 'event-loop'],
  schemaVersion: 42,
  version: 1,
  editable: true,
  graphTooltip: 1,
  time: { from: 'now-1h', to: 'now' },
  refresh: '30s',
  timezone: 'browser',
  annotations: { list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' }] },
  links: [],
  templating: {
    list: [
      { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '', includeAll: false, multi: false },
      variable('job', 'Job', 'label_values(loopwatch_info, job)'),
      variable('instance', 'Instance', 'label_values(loopwatch_info{job=~"$job"}, instance)'),
      {
        name: 'phase', label: 'Phase', type: 'custom', query: 'startup,runtime', description: 'Stalls while the process started (modules loading, top-level code) or after it',
        options: [{ text: 'startup', value: 'startup', selected: false }, { text: 'runtime', value: 'runtime', selected: false }],
        includeAll: true, multi: true, allValue: '.*', current: { text: ['All'], value: ['$__all'] }, hide: 0,
      },
    ],
  },
  panels,
};
const text = JSON.stringify(dashboard, null, 2) + '\n';
if (process.argv.includes('--check')) {
  const committed = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, 'utf8') : '';
  if (committed !== text) {
    process.stderr.write(`${OUTPUT} is stale: run npm run dashboard\n`);
    process.exitCode = 1;
  }
} else {
  fs.writeFileSync(OUTPUT, text);
}
