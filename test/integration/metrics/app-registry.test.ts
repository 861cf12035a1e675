import { describe, expect, it } from 'vitest';
import { blockingLine, runFixture } from '../run-fixture';
import { parseSamples } from './scrape';

describe('registerMetrics(register)', () => {
  it("puts loopwatch's families, with the stall, in the app's own prom-client registry", async () => {
    const result = await runFixture('metrics-app-registry.js');
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('Warning');
    const samples = parseSamples(result.stdout.trim());
    const site = `test/integration/fixtures/metrics-app-registry.js:${blockingLine('metrics-app-registry.js')}`;
    expect(samples.find((s) => s.name === 'app_requests_total')?.value).toBe(0);
    expect(samples.find((s) => s.name === 'loopwatch_eventloop_stalls_total' && s.labels.site === site)?.value).toBe(1);
    // At least that stall (a loaded machine can add a real one while modules load).
    expect(samples.find((s) => s.name === 'loopwatch_eventloop_stall_seconds_count')?.value).toBeGreaterThanOrEqual(1);
  });
});

describe('registerMetrics after stalls', () => {
  it('counts the stalls seen before it was called; prom-client was not loaded until then', async () => {
    const result = await runFixture('metrics-late-registry.js');
    expect(result.code).toBe(0);
    const { loadedBefore, text } = JSON.parse(result.stdout) as { loadedBefore: boolean; text: string };
    expect(loadedBefore).toBe(false);
    const site = `test/integration/fixtures/metrics-late-registry.js:${blockingLine('metrics-late-registry.js')}`;
    expect(parseSamples(text).find((s) => s.name === 'loopwatch_eventloop_stalls_total' && s.labels.site === site)?.value).toBe(1);
  });
});
