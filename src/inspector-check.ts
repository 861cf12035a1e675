/**
 * Whether the watchdog may pause the main thread to read its stack. Not when the Node build has no
 * inspector, and not when a debugger port is open: pausing would show up in the user's debugger.
 * Returns the reason it may not, or null.
 */
export function whyNoStackCapture(): string | null {
  let inspector: typeof import('node:inspector');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a missing inspector must not fail the import of loopwatch
    inspector = require('node:inspector') as typeof import('node:inspector');
  } catch {
    return 'this Node.js build has no inspector';
  }
  if (inspector.url() !== undefined) return 'a debugger port is open (--inspect), and pausing would show up in the debugger';
  return null;
}
