import { describe, expect, it } from 'vitest';
import { isThreadTitle } from '../../../src/watchdog/inspector-thread-capture';

describe('isThreadTitle', () => {
  it('matches the inspector title of a worker thread by its threadId', () => {
    expect(isThreadTitle('[worker 2]', 2)).toBe(true);
    expect(isThreadTitle('[worker 2] my-pool', 2)).toBe(true);
  });

  it('never matches another thread, whose id merely starts with the same digits', () => {
    expect(isThreadTitle('[worker 12]', 1)).toBe(false);
    expect(isThreadTitle('[worker 1]', 12)).toBe(false);
    expect(isThreadTitle('[worker 2]x', 2)).toBe(false);
  });
});
