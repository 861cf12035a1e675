import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLiveStats, type FeatureContext } from '../../../src/feature';
import { DEFAULTS } from '../../../src/options';
import { startPromises } from '../../../src/promises';
import { MAX_REJECTIONS } from '../../../src/promises/rejection-table';

/** `process.emit` as Node's internals call it. */
function emit(event: string, ...args: unknown[]): boolean {
  return (process.emit as unknown as (this: NodeJS.Process, name: string, ...rest: unknown[]) => boolean).call(process, event, ...args);
}

describe('a storm of distinct unhandled rejections', () => {
  it('reads the stacks of the kinds the report keeps, and of the others only for lines that get through the rate limit', async () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-unit-')), 'log.txt');
    let section: () => any = () => undefined;
    const context: FeatureContext = {
      options: { ...DEFAULTS, log, logLinesPerMinute: 60 },
      stats: createLiveStats(),
      warn: () => undefined,
      addReportSection: (name, snapshot) => void (name === 'promises' && (section = snapshot as () => any)),
      markDirty: () => undefined,
      slowCall: () => undefined,
      onStall: () => undefined,
      onBusy: () => undefined,
    };
    const stop = startPromises(context);
    let stackReads = 0;
    const reasons = Array.from({ length: MAX_REJECTIONS + 200 }, (_, i) => {
      const error = new Error(`order ${i} failed`);
      const stack = error.stack;
      Object.defineProperty(error, 'stack', {
        get: () => {
          stackReads += 1;
          return stack;
        },
      });
      return error;
    });
    // vitest listens for real unhandled rejections: emit these with its listeners set aside.
    const listeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    try {
      for (const reason of reasons) emit('unhandledRejection', reason, Promise.resolve());
    } finally {
      for (const listener of listeners) process.on('unhandledRejection', listener);
    }
    // Stacks are read a turn later, once Node is done with the reasons.
    await new Promise((resolve) => setImmediate(resolve));
    stop();

    const snapshot = section();
    expect(snapshot.unhandledRejections).toHaveLength(MAX_REJECTIONS);
    expect(snapshot.unhandledOverflow).toBe(200);
    expect(snapshot.unhandledRejections.every((entry: any) => entry.site !== null)).toBe(true);
    // 60 lines per minute: the 50 kept kinds and 10 more got a line with its location.
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.filter((line) => /^loopwatch: unhandled rejection: Error: order \d+ failed at .*rejection-storm\.test\.ts:\d+/.test(line))).toHaveLength(60);
    expect(stackReads).toBe(60);
  });
});
