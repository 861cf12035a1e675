import { describe, expect, it } from 'vitest';
import { chooseCapture, type CaptureProbe } from '../../../src/capture/choose';
import type { CaptureChoice } from '../../../src/capture/choose';

function probe(overrides: Partial<CaptureProbe> = {}): CaptureProbe {
  return { registerNative: () => null, whyNoInspector: () => null, ...overrides };
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

  it('never falls back to the inspector by itself: off, with one warning that says how to get stacks and at what risk', () => {
    let inspectorProbed = false;
    const result = decide('auto', probe({ registerNative: () => 'no binary for linux-x64, Node ABI 999', whyNoInspector: () => ((inspectorProbed = true), null) }));
    expect(result.path).toBe('off');
    expect(inspectorProbed).toBe(false);
    expect(result.reason).toBe('native capture unavailable: no binary for linux-x64, Node ABI 999');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^LOOPWATCH_NO_NATIVE_CAPTURE no native stack capture: no binary .*stalls are still timed.*LOOPWATCH_CAPTURE=inspector gives stacks, at the risk of a V8 abort$/);
  });

  it('native asked for and missing: off with one warning, never the inspector', () => {
    const result = decide('native', probe({ registerNative: () => 'not installed' }));
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
