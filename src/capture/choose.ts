/**
 * Which way the watchdog reads a blocked thread's stack, decided once on the main thread at
 * start-up (docs/capture.md has the measurements behind each rule):
 *
 * - `native`: the optional native module interrupts the thread and reads its stack. No debugger:
 *   it cannot abort V8 and does not slow the code it samples. The default wherever it loads.
 * - `inspector`: pauses the thread through the in-process inspector. On Node 25 and older a pause
 *   can race V8's inliner and abort the process, and a paused function is not optimised again
 *   while it carries debug info. Used only when asked for, or where native is missing and the
 *   Node version has no race.
 * - `off`: stalls are timed, sync-API calls still attributed by their wrappers; no stacks.
 */
import type { CapturePath, Options } from '../options';
import type { WarningCode } from '../codes';
import { whyNoStackCapture } from '../inspector-check';
import { registerForNativeCapture } from './native-binding';

export type { CaptureChoice, CapturePath } from '../options';

/**
 * The first Node release whose V8 can no longer abort on a debugger pause that races the inliner.
 * Read off the binaries' CHECK messages (docs/capture.md): Node 20.20, 22.23, 24.22, 25.0 and 25.9
 * carry `inlineability == SharedFunctionInfo::kHasOptimizationDisabled`, the check that aborts;
 * 26.0, 26.4, 26.7, 26.9, 26.10 and 26.12 accept `kMayContainBreakPoints` too (V8 14.6).
 */
export const INSPECTOR_SAFE_FROM: readonly [number, number] = [26, 0];

/** Whether the inspector's pause is free of the V8 abort on this Node version. */
export function inspectorIsSafe(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [safeMajor, safeMinor] = INSPECTOR_SAFE_FROM;
  return major > safeMajor || (major === safeMajor && minor >= safeMinor);
}

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
  if (probe.inspectorIsSafe()) {
    const decision = inspectorOrOff(probe, warn);
    if (decision.path === 'inspector') warn('LOOPWATCH_NO_NATIVE_CAPTURE', `no native stack capture: ${whyNoNative}; using the inspector (safe on Node ${process.versions.node})`);
    return decision;
  }
  warn(
    'LOOPWATCH_NO_NATIVE_CAPTURE',
    `no native stack capture: ${whyNoNative}; ${still}. LOOPWATCH_CAPTURE=inspector gives stacks, at the risk of a V8 abort on Node before ${INSPECTOR_SAFE_FROM.join('.')}`,
  );
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
  inspectorIsSafe(): boolean;
}

const defaultProbe: CaptureProbe = {
  registerNative: registerForNativeCapture,
  whyNoInspector: whyNoStackCapture,
  inspectorIsSafe: () => inspectorIsSafe(),
};
