/** `loopwatch_info{version,mode} 1`: which loopwatch runs where, for joins and dashboards. */
import { labels } from './labels';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Gauge } from 'prom-client';

/** loopwatch's own version, from its package.json (found from src/ under vitest and dist/src/ when built). */
export function loopwatchVersion(): string {
  for (let dir = __dirname, i = 0; i < 5; i += 1, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'loopwatch' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json at this level: keep walking up.
    }
  }
  return 'unknown';
}

export function createInfoMetric(): { metric: Gauge; setMode(mode: string): void } {
  const info = new Gauge({ name: 'loopwatch_info', help: 'loopwatch version and mode (always 1)', labelNames: ['version', 'mode'], registers: [] });
  const version = loopwatchVersion();
  return {
    metric: info,
    setMode(mode) {
      info.reset();
      info.set(labels({ version, mode }), 1);
    },
  };
}
