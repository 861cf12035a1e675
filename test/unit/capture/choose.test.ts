import { describe, expect, it } from 'vitest';
import { chooseCapture, inspectorIsSafe, type CaptureProbe } from '../../../src/capture/choose';
import type { CaptureChoice } from '../../../src/capture/choose';

function probe(overrides: Partial<CaptureProbe> = {}): CaptureProbe {
  return { registerNative: () => null, whyNoInspector: () => null, inspectorIsSafe: () => false, ...overrides };
}

function decide(capture: CaptureChoice, p: CaptureProbe, stacks = true): { path: string; reason?: string; warnings: string[] } {
  const warnings: string[] = [];
  const decision = chooseCapture({ capture, stacks }, (code, message) => warnings.push(`${code} ${message}`), p);
  return { ...decision, warnings };
}

describe('chooseCapture', () => {
  it('takes the native path by default wherever the module loads, silently', () => {
    expect(decide('auto', probe())).toEqual({ path: 'native', warnings: [] });
  });

  it('never falls back to the inspector by itself on a Node version with the V8 abort', () => {
    const result = decide('auto', probe({ registerNative: () => 'no binary for linux-x64, Node ABI 999' }));
    expect(result.path).toBe('off');
    expect(result.reason).toBe('native capture unavailable: no binary for linux-x64, Node ABI 999');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^LOOPWATCH_NO_NATIVE_CAPTURE no native stack capture: no binary .*stalls are still timed.*LOOPWATCH_CAPTURE=inspector gives stacks, at the risk of a V8 abort on Node before 26\.0/);
  });

  it('falls back to the inspector where it is safe, and says so once', () => {
    const result = decide('auto', probe({ registerNative: () => 'not installed', inspectorIsSafe: () => true }));
    expect(result.path).toBe('inspector');
    expect(result.warnings).toEqual([expect.stringMatching(/^LOOPWATCH_NO_NATIVE_CAPTURE no native stack capture: not installed; using the inspector/)]);
  });

  it('native asked for and missing: off with one warning, never the inspector', () => {
    const result = decide('native', probe({ registerNative: () => 'not installed', inspectorIsSafe: () => true }));
    expect(result.path).toBe('off');
    expect(result.warnings).toHaveLength(1);
  });

  it('the inspector when asked for, even where it is risky; off when a debugger holds it', () => {
    let nativeTried = false;
    const p = probe({ registerNative: () => ((nativeTried = true), null) });
    expect(decide('inspector', p)).toEqual({ path: 'inspector', warnings: [] });
    expect(nativeTried).toBe(false);
    const busy = decide('inspector', probe({ whyNoInspector: () => 'a debugger port is open' }));
    expect(busy.path).toBe('off');
    expect(busy.warnings).toEqual(['LOOPWATCH_NO_INSPECTOR no stack capture: a debugger port is open; stalls are still timed']);
  });

  it('off, and LOOPWATCH_STACKS=off, load nothing and say nothing', () => {
    const p = probe({ registerNative: () => expect.unreachable('native loaded'), whyNoInspector: () => expect.unreachable('inspector probed') });
    expect(decide('off', p)).toEqual({ path: 'off', reason: 'disabled by LOOPWATCH_CAPTURE=off', warnings: [] });
    expect(decide('auto', p, false)).toEqual({ path: 'off', reason: 'disabled by LOOPWATCH_STACKS', warnings: [] });
  });
});

describe('inspectorIsSafe', () => {
  it('is true from Node 26.0 on', () => {
    expect(inspectorIsSafe('20.20.2')).toBe(false);
    expect(inspectorIsSafe('24.22.3')).toBe(false);
    expect(inspectorIsSafe('25.9.0')).toBe(false);
    expect(inspectorIsSafe('26.0.0')).toBe(true);
    expect(inspectorIsSafe('26.10.0')).toBe(true);
    expect(inspectorIsSafe('26.12.1')).toBe(true);
    expect(inspectorIsSafe('27.0.0')).toBe(true);
  });
});
