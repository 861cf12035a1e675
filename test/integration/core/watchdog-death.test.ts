import { describe, expect, it } from 'vitest';
import { runFixture } from '../run-fixture';
import { freePort, parseSamples, value } from '../metrics/scrape';

describe('the watchdog worker is terminated under the app', () => {
  it('the app runs on and exits by itself; one coded warning; what runs on the app thread keeps its metrics', async () => {
    const result = await runFixture('watchdog-terminated.js', { env: { LOOPWATCH_METRICS_PORT: String(await freePort()) } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('done\n');
    const warnings = result.stderr.match(/\[LOOPWATCH_\w+\]/g);
    expect(warnings, result.stderr).toEqual(['[LOOPWATCH_WORKER_FAILED]']);

    const body = /METRICS\n([\s\S]*)\nEND METRICS/.exec(result.stderr)?.[1];
    expect(body, result.stderr).toBeDefined();
    const samples = parseSamples(body!);
    // Measured on the app's thread after the watchdog was gone: the 300 ms stall (by the heartbeat),
    // the gzipSync call (by the sync-API wrapper), the event-loop delay (perf_hooks).
    expect(value(samples, 'loopwatch_eventloop_stalls_total', { site: 'unattributed', thread: 'main' })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'loopwatch_eventloop_stall_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'loopwatch_sync_api_calls_total', { api: 'zlib.gzipSync' })).toBe(1);
    expect(value(samples, 'loopwatch_eventloop_delay_max_seconds')).toBeGreaterThan(0.25);
  });
});
