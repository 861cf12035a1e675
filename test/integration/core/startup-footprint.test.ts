/**
 * Start-up cost is mostly loading (docs/benchmarks.md has the paired bench): prom-client, the
 * OpenTelemetry API and source-map-support are loaded only when a feature needs them.
 */
import { describe, expect, it } from 'vitest';
import { runFixture } from '../run-fixture';

describe('an idle app in production mode', () => {
  it('loads neither prom-client, nor @opentelemetry/api, nor source-map-support on its main thread', async () => {
    const result = await runFixture('idle-footprint.js');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ 'prom-client': false, '@opentelemetry/api': false, 'source-map-support': false });
  });

  it('loads prom-client when LOOPWATCH_METRICS_PORT asks for /metrics', async () => {
    const result = await runFixture('idle-footprint.js', { env: { LOOPWATCH_METRICS_PORT: '0' } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ 'prom-client': true });
  });
});
