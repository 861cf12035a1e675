import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../src/options';
import type { StallEvent } from '../../../src/feature';
import { startWatchdog, type Watchdog } from '../../../src/watchdog/main';
import { waitFor } from '../../integration/run-fixture';

/** A stand-in watchdog script that crashes as soon as it runs. */
function crashingWorker(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-unit-')), 'worker.js');
  fs.writeFileSync(file, "setTimeout(() => { throw new Error('watchdog bug'); }, 20);\n");
  return file;
}

describe('startWatchdog when the watchdog worker crashes', () => {
  let watchdog: Watchdog | null = null;
  afterEach(() => watchdog?.stop());

  it('warns once with a code, then flushes without waiting and keeps counting stalls from the heartbeat', async () => {
    const warnings: string[] = [];
    const stalls: StallEvent[] = [];
    watchdog = startWatchdog({ ...DEFAULTS, thresholdMs: 50 }, { path: 'off', reason: 'test' }, { warn: (code, message) => warnings.push(`${code} ${message}`), onStall: (stall) => stalls.push(stall) }, crashingWorker());
    await waitFor(() => (warnings.length > 0 ? true : null), 10_000, 'the crash warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^LOOPWATCH_WORKER_FAILED watchdog worker failed \(watchdog bug\)/);

    const started = Date.now();
    watchdog.flush(true);
    // A live watchdog would be waited for (up to 2 s); a dead one must not be.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(() => watchdog?.post({ type: 'sections', sections: {} })).not.toThrow();

    // At a 50 ms threshold, this busy vitest worker can have stalled already (module loading, GC):
    // the stall measured first after the busy-wait is the busy-wait's (no beat can come in between).
    const before = stalls.length;
    const end = Date.now() + 150;
    while (Date.now() < end);
    await waitFor(() => (stalls.length > before ? true : null), 5_000, 'the heartbeat to measure the stall');
    expect(stalls[before]).toMatchObject({ site: null, threadId: 0 });
    expect(stalls[before]!.durationMs).toBeGreaterThanOrEqual(100);
    expect(warnings).toHaveLength(1);
  });
});
