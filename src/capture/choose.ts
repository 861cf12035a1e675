/**
 * Which way the watchdog reads a blocked thread's stack, decided once on the main thread at
 * start-up (docs/capture.md has the measurements behind each rule):
 *
 * - `native`: the optional native module interrupts the thread and reads its stack. No debugger:
 *   it cannot abort V8 and does not slow the code it samples. The default wherever it loads.
 * - `inspector`: pauses the thread through the in-process inspector. A pause can abort the process
 *   (V8's inliner race on Node 25 and older; a debugger scope CHECK seen on Node 20 too), and a
 *   paused function is not optimised again while it carries debug info. Only when asked for.
 * - `off`: stalls are timed, sync-API calls still attributed by their wrappers; no stacks. What
 *   `auto` falls back to when the native module is missing.
 */
import type { CapturePath, Options } from '../options';
import type { WarningCode } from '../codes';
import { whyNoStackCapture } from '../inspector-check';
import { registerForNativeCapture } from './native-binding';
import { requestStore } from '../http/store';

export type { CaptureChoice, CapturePath } from '../options';

export interface CaptureDecision {
  path: CapturePath;
  /** Why there are no stacks, when `path` is 'off'. */
  reason?: string;
}

type Warn = (code: WarningCode, message: string) => void;

/**
 * Registers the main thread with the native module when that is the path. Never throws: every
 * failure is one coded warning, and stalls are still timed.
 */
export function chooseCapture(options: Pick<Options, 'capture' | 'stacks'>, warn: Warn, probe: CaptureProbe = defaultProbe): CaptureDecision {
  if (!options.stacks) return { path: 'off', reason: 'disabled by LOOPWATCH_STACKS' };
  const choice = options.capture;
  if (choice === 'off') return { path: 'off', reason: 'disabled by LOOPWATCH_CAPTURE=off' };
  if (choice === 'inspector') return inspectorOrOff(probe, warn);
  const whyNoNative = probe.registerNative();
  if (whyNoNative === null) return { path: 'native' };
  const still = 'stalls are still timed and slow sync-API calls still located';
  if (choice === 'native') {
    warn('LOOPWATCH_NO_NATIVE_CAPTURE', `no native stack capture: ${whyNoNative}; ${still}`);
    return { path: 'off', reason: `native capture unavailable: ${whyNoNative}` };
  }
  // Never the inspector by default, not even on a Node version without the inliner race: a
  // second debugger-only V8 CHECK (in the scope iterator, present in every version's binary) aborted
  // stress runs too, and a pause slows the function it lands in (docs/capture.md).
  warn('LOOPWATCH_NO_NATIVE_CAPTURE', `no native stack capture: ${whyNoNative}; ${still}. LOOPWATCH_CAPTURE=inspector gives stacks, at the risk of a V8 abort`);
  return { path: 'off', reason: `native capture unavailable: ${whyNoNative}` };
}

function inspectorOrOff(probe: CaptureProbe, warn: Warn): CaptureDecision {
  const whyNot = probe.whyNoInspector();
  if (whyNot === null) return { path: 'inspector' };
  warn('LOOPWATCH_NO_INSPECTOR', `no stack capture: ${whyNot}; stalls are still timed`);
  return { path: 'off', reason: whyNot };
}

/** What the decision asks of the runtime; tests pass their own. */
export interface CaptureProbe {
  registerNative(): string | null;
  whyNoInspector(): string | null;
}

const defaultProbe: CaptureProbe = {
  // The main thread's HTTP requests are served here: each capture reads which one is blocked.
  registerNative: () => registerForNativeCapture(requestStore()),
  whyNoInspector: whyNoStackCapture,
};
