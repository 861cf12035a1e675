import { afterEach, describe, expect, it } from 'vitest';
import { createLiveStats, type FeatureContext } from '../../../src/feature';
import { DEFAULTS } from '../../../src/options';
import { startPromises } from '../../../src/promises';

function fakeContext(overrides: Partial<typeof DEFAULTS> = {}) {
  const sections = new Map<string, () => unknown>();
  const context: FeatureContext = {
    options: { ...DEFAULTS, log: 'off', ...overrides },
    stats: createLiveStats(),
    warn: () => undefined,
    addReportSection: (name, snapshot) => void sections.set(name, snapshot),
    markDirty: () => undefined,
    slowCall: () => undefined,
    onStall: () => undefined,
    onBusy: () => undefined,
  };
  return { context, section: () => sections.get('promises')!() as any };
}

/** `process.emit` as Node's internals call it. */
function emit(event: string, ...args: unknown[]): boolean {
  return (process.emit as unknown as (this: NodeJS.Process, name: string, ...rest: unknown[]) => boolean).call(process, event, ...args);
}

describe('startPromises', () => {
  const stops: Array<() => void> = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  it('stop() undoes exactly what start did', () => {
    const emitBefore = Reflect.get(process, 'emit') as unknown;
    const exitListeners = process.listenerCount('exit');
    const stop = startPromises(fakeContext({ floating: true, floatingSample: 1 }).context);
    expect(Reflect.get(process, 'emit')).not.toBe(emitBefore);
    stop();
    expect(Reflect.get(process, 'emit')).toBe(emitBefore);
    expect(process.listenerCount('exit')).toBe(exitListeners);
  });

  it('counts rejections in the live stats and the report section, which stays plain data', () => {
    const { context, section } = fakeContext();
    stops.push(startPromises(context));
    // vitest listens for real unhandled rejections: emit this one with its listeners set aside.
    const listeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    try {
      emit('unhandledRejection', new Error('lost'), Promise.resolve());
      emit('unhandledRejection', new Error('lost'), Promise.resolve());
      emit('rejectionHandled', Promise.resolve());
    } finally {
      for (const listener of listeners) process.on('unhandledRejection', listener);
    }
    expect(context.stats).toMatchObject({ unhandledRejections: 2, rejectionsHandledLate: 1 });
    const snapshot = section();
    expect(snapshot).toMatchObject({ rejectionsHandledLate: 1, floating: [], floatingDetection: 'off' });
    expect(snapshot.unhandledRejections).toMatchObject([{ name: 'Error', message: 'lost', count: 2, createdAt: null }]);
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it('says how floating detection runs', () => {
    const sampled = fakeContext({ floating: true, floatingSample: 100 });
    stops.push(startPromises(sampled.context));
    expect(sampled.section().floatingDetection).toBe('1 in 100');
  });
});
