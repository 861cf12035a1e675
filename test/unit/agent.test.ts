import { describe, expect, it } from 'vitest';
import { start } from '../../src/agent';

describe('start() (programmatic API)', () => {
  it.each([
    [{ thresholdMs: -1 }, /thresholdMs/],
    [{ mode: 'loud' as never }, /mode/],
    [{ thresholdMs: 500, hangMs: 100 }, /hangMs/],
    [{ metricsPort: 70000 }, /metricsPort/],
    [{ metricsHost: '' }, /metricsHost/],
    [{ metricsMaxSites: 0 }, /metricsMaxSites/],
    [{ floatingSample: 0.5 }, /floatingSample/],
    [{ ignoreSites: ['src/a.js', ':12'] }, /ignoreSites/],
    [{ ignoreSites: 'src/a.js' as never }, /ignoreSites/],
  ])('throws a TypeError on misuse: %o', (options, message) => {
    expect(() => start(options)).toThrow(TypeError);
    expect(() => start(options)).toThrow(message);
  });

  it('does nothing with mode off', () => {
    const agent = start({ mode: 'off' });
    expect(agent.options.mode).toBe('off');
    agent.stop();
  });
});
