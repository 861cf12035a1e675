/**
 * Start-up cost is mostly loading (docs/benchmarks.md has the paired bench): prom-client, the
 * OpenTelemetry API and source-map-support are loaded only when a feature needs them, and so are
 * the Node modules that cost the most to load.
 */
import { describe, expect, it } from 'vitest';
import { runFixture } from '../run-fixture';

describe('an idle app in production mode', () => {
  it('loads neither prom-client, nor @opentelemetry/api, nor source-map-support on its main thread', async () => {
    const result = await runFixture('idle-footprint.js');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ 'prom-client': false, '@opentelemetry/api': false, 'source-map-support': false });
  });

  it('loads none of the Node modules it only needs later (perf_hooks, fs.Dir) or only wraps once the app loads them', async () => {
    const [bare, watched] = await Promise.all([runFixture('idle-builtins.js', { withoutAgent: true }), runFixture('idle-builtins.js')]);
    expect(watched.code).toBe(0);
    const before = new Set(JSON.parse(bare.stdout) as string[]);
    const added = (JSON.parse(watched.stdout) as string[]).filter((id) => !before.has(id));
    // worker_threads (the watchdog's Worker) is what it must load; each of these costs 0.4-5 ms.
    expect(added).toContain('worker_threads');
    for (const id of ['perf_hooks', 'internal/fs/dir', 'crypto', 'zlib', 'child_process', 'v8']) expect(added).not.toContain(id);
  });

  it('loads prom-client when LOOPWATCH_METRICS_PORT asks for /metrics', async () => {
    const result = await runFixture('idle-footprint.js', { env: { LOOPWATCH_METRICS_PORT: '0' } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ 'prom-client': true });
  });
});
