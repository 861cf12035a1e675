/**
 * The caller's stack, taken only for slow calls (3-6 us each, docs/design.md, "Overhead"), as raw 1-based
 * frames: the watchdog worker maps them through source maps, off the app's thread.
 */
import { urlToPath, type Frame } from '../stack/frames';

/** Deep enough to get past a dependency's recursion to the app's calling line (see MAX_SCANNED_FRAMES). */
const MAX_FRAMES = 128;

export function callerStack(below: (...args: never[]) => unknown): Frame[] {
  // Read and restored as a property, never called by us.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originalPrepare = Error.prepareStackTrace;
  const originalLimit = Error.stackTraceLimit;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    // Temporarily, so the app's own prepareStackTrace (or source-map-support's) never sees this.
    Error.prepareStackTrace = (_error, callSites) => callSites;
    Error.stackTraceLimit = MAX_FRAMES;
    Error.captureStackTrace(holder, below);
    const callSites = holder.stack ?? [];
    return callSites.map((callSite) => ({
      file: urlToPath(callSite.getFileName() ?? ''),
      line: callSite.getLineNumber() ?? 0,
      column: callSite.getColumnNumber() ?? 0,
      // Not getMethodName(): for a callback it names the timer's slot (`_onTimeout`), not the code.
      function: callSite.getFunctionName() ?? '(anonymous)',
    }));
  } finally {
    Error.prepareStackTrace = originalPrepare;
    Error.stackTraceLimit = originalLimit;
  }
}

/**
 * True when Node's module loader itself made the call (reading a module file is not the app's
 * fault). Only the immediate caller counts: app code running at a module's top level has loader
 * frames below it, and its calls are the app's.
 */
export function isModuleLoading(stack: readonly Frame[]): boolean {
  return stack[0]?.file.startsWith('node:internal/modules/') ?? false;
}
