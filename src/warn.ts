import type { WarningCode } from './codes';

/**
 * The one way loopwatch tells the user about a problem: a Node warning with a stable code, printed
 * once per code and never thrown. `process.emitWarning` respects `--no-warnings` and
 * `process.on('warning')`, like every other warning the app can get.
 */
const alreadyWarned = new Set<string>();

export function warn(code: WarningCode, message: string): void {
  const key = `${code}:${message}`;
  if (alreadyWarned.has(key)) return;
  alreadyWarned.add(key);
  try {
    process.emitWarning(`loopwatch: ${message}`, { code, type: 'LoopwatchWarning' });
  } catch {
    // A warning must never become the app's problem.
  }
}
