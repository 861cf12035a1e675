import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { MAX_MESSAGE_CHARS, MAX_REASON_FRAMES, parseStackFrames, reasonStack, summarizeReason } from '../../../src/promises/reason';

describe('summarizeReason', () => {
  it('describes primitives by type', () => {
    expect(summarizeReason('nope')).toEqual({ name: 'string', message: 'nope', stack: [] });
    expect(summarizeReason(undefined)).toEqual({ name: 'undefined', message: 'undefined', stack: [] });
    expect(summarizeReason(null)).toEqual({ name: 'null', message: 'null', stack: [] });
    expect(summarizeReason(Symbol('s')).message).toBe('Symbol(s)');
  });

  it('reads name and message of errors, never their stack (see reason.ts)', () => {
    const error = new TypeError('bad input');
    let stackRead = false;
    Object.defineProperty(error, 'stack', {
      get: () => {
        stackRead = true;
        return '';
      },
    });
    expect(summarizeReason(error)).toEqual({ name: 'TypeError', message: 'bad input', stack: [] });
    expect(stackRead).toBe(false);
  });

  it('bounds a 50 MB message', () => {
    const huge = 'x'.repeat(50 * 1024 * 1024);
    const summary = summarizeReason(new Error(huge));
    expect(summary.message.length).toBeLessThan(MAX_MESSAGE_CHARS + 40);
    expect(summary.message).toContain(`(${huge.length} chars)`);
  });

  it('survives objects whose getters throw, and Proxies', () => {
    const hostile = {
      get name(): string {
        throw new Error('no name');
      },
      get message(): string {
        throw new Error('no message');
      },
    };
    expect(summarizeReason(hostile)).toEqual({ name: 'Object', message: '[object Object]', stack: [] });
    const proxy = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    expect(summarizeReason(proxy).name).toBe('Object');
  });
});

describe('reasonStack', () => {
  it('parses V8 frames, 1-based, with and without a function name', () => {
    const text = ['Error: boom', '    at save (/srv/app/jobs.js:12:7)', '    at async run (file:///srv/app/main.mjs:3:5)', '    at /srv/app/anon.js:1:2', '    at node:internal/timers:512:7'].join('\n');
    expect(parseStackFrames(text)).toEqual([
      { function: 'save', file: '/srv/app/jobs.js', line: 12, column: 7 },
      { function: 'run', file: '/srv/app/main.mjs', line: 3, column: 5 },
      { function: '(anonymous)', file: '/srv/app/anon.js', line: 1, column: 2 },
      { function: '(anonymous)', file: 'node:internal/timers', line: 512, column: 7 },
    ]);
  });

  it('finds the frames after a huge multi-line message, and keeps a bounded number', () => {
    const error = new Error(`${'line\n'.repeat(100_000)}end`);
    const frames = reasonStack(error);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.length).toBeLessThanOrEqual(MAX_REASON_FRAMES);
    expect(frames[0]!.file).toBe(fileURLToPath(import.meta.url));
  });

  it('has no frames for primitives', () => {
    expect(reasonStack('boom')).toEqual([]);
  });
});
