/** `loopwatch_info{version,mode} 1`: which loopwatch runs where, for joins and dashboards. */
import { labels } from './labels';
import type { Gauge } from 'prom-client';
import { prom } from './prom';
import { loopwatchVersion } from '../version';

export function createInfoMetric(): { metric: Gauge; setMode(mode: string): void } {
  const info = new (prom().Gauge)({ name: 'loopwatch_info', help: 'loopwatch version and mode (always 1)', labelNames: ['version', 'mode'], registers: [] });
  const version = loopwatchVersion();
  return {
    metric: info,
    setMode(mode) {
      info.reset();
      info.set(labels({ version, mode }), 1);
    },
  };
}
