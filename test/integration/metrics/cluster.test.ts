import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { blockingLine, runFixture } from '../run-fixture';
import { freePort, httpGet, parseSamples, type Sample } from './scrape';

/** Scrapes until `done` holds for one scrape (deadline 20 s); returns that scrape. */
async function scrapeUntil(port: number, done: (samples: Sample[]) => boolean): Promise<Sample[]> {
  const deadline = Date.now() + 20_000;
  let last = '';
  for (;;) {
    const response = await httpGet(`http://127.0.0.1:${port}/metrics`).catch(() => null);
    if (response?.status === 200) {
      last = response.body;
      const samples = parseSamples(response.body);
      if (done(samples)) return samples;
    }
    if (Date.now() > deadline) throw new Error(`cluster metrics never reached the expected state:\n${last}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stalls of one worker over all its sites (a stall whose capture lost the race is `unattributed`; a loaded machine adds real startup stalls). */
const stallsOf = (samples: Sample[], worker: string): number =>
  samples.filter((s) => s.name === 'loopwatch_eventloop_stalls_total' && s.labels.worker === worker).reduce((sum, s) => sum + s.value, 0);

const find = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('cluster', () => {
  it("serves every worker's series from the primary, labelled by worker, with a stalled worker's max intact", async () => {
    const port = await freePort();
    const site = `test/integration/fixtures/metrics-cluster.js:${blockingLine('metrics-cluster.js')}`;
    const outcome: { failure?: Error; stalls?: Sample[]; delay?: Sample[] } = {};
    const result = await runFixture('metrics-cluster.js', {
      env: { LOOPWATCH_METRICS_PORT: String(port), LOOPWATCH_LOG: 'off' },
      timeoutMs: 40_000,
      onSpawn: (child: ChildProcess) => {
        // Worker 1 stalls 3 x 300 ms. Its worst delay must show as itself in some scrape, not as an average.
        scrapeUntil(port, (s) => (find(s, 'loopwatch_eventloop_delay_max_seconds', { worker: '1' }) ?? 0) >= 0.25)
          .then((samples) => (outcome.delay = samples))
          .then(() => scrapeUntil(port, (s) => stallsOf(s, '1') >= 3 && find(s, 'loopwatch_info', { worker: '2' }) === 1))
          .then((samples) => (outcome.stalls = samples))
          .catch((error: Error) => (outcome.failure = error))
          .finally(() => child.kill('SIGTERM'));
      },
    });
    if (outcome.failure) throw outcome.failure;
    expect(result.code).toBe(0);
    // Workers inherited the port but never tried to listen on it.
    expect(result.stderr).not.toContain('LOOPWATCH_METRICS_PORT_IN_USE');
    // The app's own worker messages still flow.
    expect(result.stderr).toContain('app message from 1: hello');
    const workers = outcome.stalls!.filter((s) => s.name === 'loopwatch_info').map((s) => s.labels.worker).sort();
    expect(workers).toEqual(['1', '2', 'primary']);
    expect(find(outcome.stalls!, 'loopwatch_eventloop_stalls_total', { worker: '1', site })).toBeGreaterThan(0);
    // Worker 2's series are its own: not merged with worker 1's (a loaded machine may give it a stall
    // of its own at startup, so only its presence is asserted).
    expect(find(outcome.stalls!, 'loopwatch_eventloop_delay_max_seconds', { worker: '2' })).toBeDefined();
  });
});
