/**
 * The dashboard against a real Prometheus: Debian's prometheus scrapes a stalling fixture app every
 * second, and every panel query must return data. Also lints the exposition with promtool.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, PRELOAD, ROOT, blockingLine, tempDir } from '../integration/run-fixture';
import { loadDashboard, panelQueries, substitute } from '../unit/metrics/dashboard-queries';
import { freePort } from '../integration/metrics/scrape';
import { fetchText, poll, startProcess, type Running } from './processes';

/** Scrapes every second, so a 10 s rate window always holds several samples. */
const INTERVALS = { rate: '10s', interval: '5s', range: '5m' };
const running: Running[] = [];
let appPort = 0;
let promUrl = '';

beforeAll(async () => {
  for (const tool of ['prometheus', 'promtool']) {
    expect(spawnSync('sh', ['-c', `command -v ${tool}`]).status, `${tool} missing: run scripts/install-prometheus.sh`).toBe(0);
  }
  appPort = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, LOOPWATCH_METRICS_PORT: String(appPort), LOOPWATCH_LOG: 'off' };
  delete env.NODE_OPTIONS;
  running.push(startProcess(process.execPath, ['--require', PRELOAD, path.join(FIXTURES, 'metrics-e2e-app.js')], env, ROOT));
  // A second target whose loop is saturated with no stall (30 ms of CPU every 35 ms): the busy
  // panel's data. The app above stalls every second, and seconds with a stall are never busy time.
  const busyPort = await freePort();
  running.push(
    startProcess(
      process.execPath,
      ['--require', PRELOAD, path.join(FIXTURES, 'saturated.js')],
      { ...env, LOOPWATCH_METRICS_PORT: String(busyPort), LOOPWATCH_BUSY_WINDOW_MS: '2000', SATURATED_RUN_MS: '600000' },
      ROOT,
    ),
  );

  const dir = tempDir('loopwatch-prometheus-');
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: loopwatch-e2e',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${appPort}', '127.0.0.1:${busyPort}']`,
      '',
    ].join('\n'),
  );
  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  const prometheus = startProcess('prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ]);
  running.push(prometheus);
  await poll(async () => ((await fetchText(`${promUrl}/-/ready`)).length > 0 ? true : null), 30_000, () => `prometheus not ready:\n${prometheus.output().slice(-2000)}`);
});

afterAll(async () => {
  await Promise.all(running.map((process) => process.stop()));
});

describe('end to end with a real Prometheus', () => {
  it('serves an exposition that promtool check metrics accepts', async () => {
    // After a stall, so the labelled families (site, api) are in the output too.
    const body = await poll(async () => {
      const text = await fetchText(`http://127.0.0.1:${appPort}/metrics`);
      return text.includes('loopwatch_eventloop_stalls_total{') ? text : null;
    }, 30_000, () => 'no stall in /metrics');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('serves a clean exposition from a cluster primary too (worker-labelled series)', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, LOOPWATCH_METRICS_PORT: String(port), LOOPWATCH_LOG: 'off' };
    delete env.NODE_OPTIONS;
    const app = startProcess(process.execPath, ['--require', PRELOAD, path.join(FIXTURES, 'metrics-cluster.js')], env, ROOT);
    running.push(app);
    const body = await poll(async () => {
      const text = await fetchText(`http://127.0.0.1:${port}/metrics`);
      return /loopwatch_eventloop_stalls_total\{[^}]*worker="1"/.test(text) && text.includes('worker="2"') ? text : null;
    }, 30_000, () => `no worker series from the cluster:\n${app.output()}`);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
    app.child.kill('SIGTERM');
  });

  it('returns data for every dashboard query', async () => {
    const queries = panelQueries(loadDashboard());
    const pending = new Map(queries.map((q) => [`${q.panel} ${q.refId}`, q]));
    const lastAnswer = new Map<string, string>();
    // Target discovery batches for 5 s, then the first rate() needs two samples: poll, never sleep.
    await poll(
      async () => {
        for (const [key, query] of pending) {
          const promql = substitute(query.expr, INTERVALS);
          const now = Date.now() / 1000;
          const url = query.instant
            ? `${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`
            : `${promUrl}/api/v1/query_range?query=${encodeURIComponent(promql)}&start=${now - 60}&end=${now}&step=1`;
          const answer = JSON.parse(await fetchText(url));
          lastAnswer.set(key, JSON.stringify(answer).slice(0, 300));
          expect(answer.status, promql).toBe('success');
          if (answer.data.result.length > 0) pending.delete(key);
        }
        return pending.size === 0 ? true : null;
      },
      90_000,
      () => `no data for:\n${[...pending.keys()].map((key) => `  ${key}: ${lastAnswer.get(key)}`).join('\n')}`,
    );
    expect(pending.size).toBe(0);
  });

  it('shows the stalling fixture lines as sites in Prometheus', async () => {
    const answer = JSON.parse(await fetchText(`${promUrl}/api/v1/query?query=${encodeURIComponent('loopwatch_eventloop_stalls_total{job="loopwatch-e2e"}')}`));
    const sites = answer.data.result.map((series: any) => series.metric.site);
    expect(sites).toContain(`test/integration/fixtures/metrics-e2e-app.js:${blockingLine('metrics-e2e-app.js')}`);
  });
});
