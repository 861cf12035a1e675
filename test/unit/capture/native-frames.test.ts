import { describe, expect, it } from 'vitest';
import { toFrames } from '../../../src/watchdog/native-capture';

describe('native frames as report frames', () => {
  it('keeps 1-based positions, turns file URLs into paths and names anonymous functions', () => {
    const frames = toFrames([
      { function: 'spin', filename: '/app/server.js', lineno: 12, colno: 5 },
      { function: '?', filename: 'file:///app/esm/route.mjs', lineno: 3, colno: 1 },
      { function: '', filename: '<unknown>', lineno: 0, colno: 0 },
      { function: 'readFileSync', filename: 'node:fs', lineno: 441, colno: 20 },
    ]);
    expect(frames).toEqual([
      { file: '/app/server.js', line: 12, column: 5, function: 'spin' },
      { file: '/app/esm/route.mjs', line: 3, column: 1, function: '(anonymous)' },
      { file: '', line: 0, column: 0, function: '(anonymous)' },
      { file: 'node:fs', line: 441, column: 20, function: 'readFileSync' },
    ]);
  });
});
