import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { observeRejections } from '../../../src/promises/rejections';

const EVENTS = ['unhandledRejection', 'rejectionHandled', 'uncaughtExceptionMonitor'] as const;

/** `process.emit` as Node's internals call it (its typings only allow the documented payloads). */
function emit(event: string, ...args: unknown[]): boolean {
  return (process.emit as unknown as (this: NodeJS.Process, name: string, ...rest: unknown[]) => boolean).call(process, event, ...args);
}

describe('observeRejections', () => {
  const stops: Array<() => void> = [];
  // The events are emitted by hand here: vitest's own listeners must not take them as real.
  let saved: Array<[string, Array<(...args: any[]) => void>]> = [];
  beforeEach(() => {
    saved = EVENTS.map((event) => [event, process.listeners(event as 'unhandledRejection') as Array<(...args: any[]) => void>]);
    for (const event of EVENTS) process.removeAllListeners(event);
  });
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
    for (const [event, listeners] of saved) for (const listener of listeners) process.on(event as 'unhandledRejection', listener);
  });
  const start = () => {
    const seen: unknown[] = [];
    const late: object[] = [];
    stops.push(observeRejections({ onUnhandled: (reason) => seen.push(reason), onHandledLate: (promise) => late.push(promise) }));
    return { seen, late };
  };
  const promise = { fake: 'promise' };

  it('returns what the original emit returned: whether the app handled it decides crash or not', () => {
    const { seen } = start();
    expect(emit('unhandledRejection', new Error('a'), promise as never)).toBe(false);
    const listener = () => undefined;
    process.on('unhandledRejection', listener);
    try {
      expect(emit('unhandledRejection', new Error('b'), promise as never)).toBe(true);
    } finally {
      process.removeListener('unhandledRejection', listener);
    }
    expect(seen.map((reason) => (reason as Error).message)).toEqual(['a', 'b']);
  });

  it('adds no listener of its own', () => {
    const before = ['unhandledRejection', 'rejectionHandled', 'uncaughtException', 'uncaughtExceptionMonitor'].map((event) => process.listenerCount(event));
    start();
    expect(['unhandledRejection', 'rejectionHandled', 'uncaughtException', 'uncaughtExceptionMonitor'].map((event) => process.listenerCount(event))).toEqual(before);
  });

  it('counts one rejection once when Node reports it twice (throw mode: event, then monitor)', () => {
    const { seen } = start();
    const reason = new Error('once');
    emit('unhandledRejection', reason, promise);
    emit('uncaughtExceptionMonitor', reason, 'unhandledRejection');
    expect(seen).toEqual([reason]);
  });

  it('sees strict mode, where only the monitor event comes before the crash', () => {
    const { seen } = start();
    const wrapped = Object.assign(new Error('This error originated either by ...'), { code: 'ERR_UNHANDLED_REJECTION' });
    emit('uncaughtExceptionMonitor', wrapped, 'unhandledRejection');
    // The app's uncaughtException listener kept it alive: Node then emits the event with the raw reason.
    emit('unhandledRejection', 'raw string', promise);
    expect(seen).toEqual([wrapped]);
  });

  it('ignores uncaught exceptions that are not rejections', () => {
    const { seen } = start();
    emit('uncaughtExceptionMonitor', new Error('thrown'), 'uncaughtException');
    expect(seen).toEqual([]);
  });

  it('reports late handling', () => {
    const { late } = start();
    emit('rejectionHandled', promise);
    expect(late).toEqual([promise]);
  });

  it('passes on an exception thrown by an app listener, and still observes', () => {
    const { seen } = start();
    const listener = () => {
      throw new Error('listener bug');
    };
    process.on('unhandledRejection', listener);
    try {
      expect(() => emit('unhandledRejection', 'r', promise)).toThrow('listener bug');
    } finally {
      process.removeListener('unhandledRejection', listener);
    }
    expect(seen).toEqual(['r']);
  });

  it('stop() restores process.emit', () => {
    const read = () => Reflect.get(process, 'emit') as unknown;
    const original = read();
    const stop = observeRejections({ onUnhandled: () => undefined, onHandledLate: () => undefined });
    expect(read()).not.toBe(original);
    stop();
    expect(read()).toBe(original);
  });
});
