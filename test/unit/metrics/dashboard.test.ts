import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetricSet } from '../../../src/metrics/registry';
import { DASHBOARD_PATH, loadDashboard, panelQueries, selectedMetrics, substitute, syntaxErrors } from './dashboard-queries';

const GRAFANA_DEFAULTS = { rate: '1m', interval: '15s', range: '1h' };

/** The sample names loopwatch exports, read from the code (a histogram family has three). */
async function exportedSampleNames(): Promise<Map<string, string>> {
  const set = createMetricSet({ thresholdMs: 100, maxSites: 5 });
  const byName = new Map<string, string>();
  for (const family of await set.registry.getMetricsAsJSON()) {
    // prom-client's typings say MetricType is a numeric enum; at runtime `type` is the string.
    const suffixes = (family.type as unknown as string) === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
    for (const suffix of suffixes) byName.set(family.name + suffix, family.name);
  }
  return byName;
}

describe('dashboards/loopwatch.json', () => {
  const dashboard = loadDashboard();
  const queries = panelQueries(dashboard);

  it('is importable into current Grafana: schemaVersion 42, datasource, job and instance variables', () => {
    expect(dashboard.schemaVersion).toBe(42);
    const variables = Object.fromEntries(dashboard.templating.list.map((v: any) => [v.name, v]));
    expect(variables.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables.job.type).toBe('query');
    expect(variables.instance.type).toBe('query');
    for (const panel of dashboard.panels.filter((p: any) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    const ids = dashboard.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has queries, each with its own refId within its panel, filtered by $job and $instance', () => {
    expect(queries.length).toBeGreaterThan(10);
    for (const query of queries) {
      expect(query.expr, query.panel).toContain('job=~"$job"');
      expect(query.expr, query.panel).toContain('instance=~"$instance"');
    }
    const refs = queries.map((q) => `${q.panel}/${q.refId}`);
    expect(new Set(refs).size).toBe(refs.length);
  });

  it.each(queries.map((q) => [`${q.panel} ${q.refId}`, q] as const))('%s parses as PromQL', (_name, query) => {
    expect(syntaxErrors(substitute(query.expr, GRAFANA_DEFAULTS))).toEqual([]);
  });

  it('detects a broken query (the parser check can fail)', () => {
    expect(syntaxErrors('sum by (site (rate(loopwatch_eventloop_stalls_total[1m])')).not.toEqual([]);
  });

  it('queries only metrics loopwatch exports, and shows every family loopwatch exports', async () => {
    const exported = await exportedSampleNames();
    const used = new Set<string>();
    for (const query of queries) {
      const names = selectedMetrics(substitute(query.expr, GRAFANA_DEFAULTS));
      expect(names.length, query.expr).toBeGreaterThan(0);
      for (const name of names) {
        expect(exported.has(name), `${query.panel}: ${name} is not a loopwatch metric`).toBe(true);
        used.add(exported.get(name)!);
      }
    }
    expect([...new Set(exported.values())].filter((family) => !used.has(family))).toEqual([]);
  });

  it('has the panels a user looks for', () => {
    const titles = dashboard.panels.map((p: any) => p.title);
    for (const wanted of [/stalls per second by site/i, /stall duration percentiles/i, /heatmap/i, /top blocking sites/i, /delay/i, /utilization/i, /sync-api/i, /rejections/i, /worker/i]) {
      expect(titles.some((title: string) => wanted.test(title)), String(wanted)).toBe(true);
    }
  });

  it('is what dashboards/build.mjs generates (the committed JSON is not stale)', () => {
    const builder = path.join(path.dirname(DASHBOARD_PATH), 'build.mjs');
    const check = spawnSync(process.execPath, [builder, '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('detects a stale dashboard (the staleness check can fail)', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-dashboard-'));
    fs.copyFileSync(path.join(path.dirname(DASHBOARD_PATH), 'build.mjs'), path.join(copy, 'build.mjs'));
    fs.writeFileSync(path.join(copy, 'loopwatch.json'), fs.readFileSync(DASHBOARD_PATH, 'utf8').replace('"schemaVersion": 42', '"schemaVersion": 41'));
    const check = spawnSync(process.execPath, [path.join(copy, 'build.mjs'), '--check'], { encoding: 'utf8' });
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('stale');
  });
});
