/**
 * Where a promise was created, from the V8 call sites at its `init` hook. Stays cheap: call sites
 * are read into plain 1-based frames (no source maps here; mapping reads files, so it happens only
 * for the few sites that get reported, see sites.ts).
 */
import { urlToPath, type Frame } from '../stack/frames';

/** Enough to get past a library's own frames to the app line that called it. */
const CREATION_FRAMES = 12;

/** How a promise came to be, read from the frames above the `init` hook. */
export type CreationKind =
  /** No parent: an async function's promise, `new Promise`, `Promise.resolve`, `Promise.all`... */
  | 'root'
  /** `p.then(f)` / `p.finally(f)` called by code: the end of a chain someone may drop. */
  | 'chain'
  /** Made by a builtin for its own use (`await`, `.catch`, `Promise.all` inputs): never a finding. */
  | 'internal';

export interface Creation {
  kind: CreationKind;
  /** From the creating line downwards (builtin and async-function-entry frames skipped). */
  frames: Frame[];
}

/**
 * The creation of a promise whose `init` hook is running. `hook` is the hook function itself, so
 * its own frame (and loopwatch's) is cut from the stack.
 */
export function captureCreation(hook: (...args: never[]) => unknown, isRoot: boolean): Creation {
  const callSites = captureCallSites(hook);
  let index = 0;
  if (isRoot) {
    // A root whose first frame is JavaScript (no builtin like `Promise` or `Promise.resolve` in
    // between) is an async function's own promise, made as the function is entered: the line
    // that created it is the caller's.
    if (callSites[0] !== undefined && callSites[0].getFileName()) index = 1;
  } else {
    // `.catch(f)` is `.then(undefined, f)`: its result handles errors, dropping it is fine.
    // Anything else that is not `.then`/`.finally` called from code is a builtin's own promise:
    // the throwaway of an `await`, the reactions of `Promise.all`.
    if (!isBuiltin(callSites[0], 'then')) return { kind: 'internal', frames: [] };
    index = 1;
    if (isBuiltin(callSites[1], 'finally')) index = 2;
    const next = callSites[index];
    if (next === undefined || !next.getFileName()) return { kind: 'internal', frames: [] };
  }
  while (index < callSites.length && !callSites[index]!.getFileName()) index += 1;
  return { kind: isRoot ? 'root' : 'chain', frames: callSites.slice(index).map(toFrame) };
}

function isBuiltin(callSite: NodeJS.CallSite | undefined, name: string): boolean {
  return callSite !== undefined && !callSite.getFileName() && callSite.getFunctionName() === name && callSite.getTypeName() === 'Promise';
}

function captureCallSites(below: (...args: never[]) => unknown): NodeJS.CallSite[] {
  // Read and restored as a property, never called by us.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originalPrepare = Error.prepareStackTrace;
  const originalLimit = Error.stackTraceLimit;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    // Temporarily, so the app's own prepareStackTrace (or source-map-support's) never sees this.
    Error.prepareStackTrace = (_error, callSites) => callSites;
    Error.stackTraceLimit = CREATION_FRAMES;
    Error.captureStackTrace(holder, below);
    return holder.stack ?? [];
  } finally {
    Error.prepareStackTrace = originalPrepare;
    Error.stackTraceLimit = originalLimit;
  }
}

function toFrame(callSite: NodeJS.CallSite): Frame {
  return {
    file: urlToPath(callSite.getFileName() ?? ''),
    line: callSite.getLineNumber() ?? 0,
    column: callSite.getColumnNumber() ?? 0,
    function: callSite.getFunctionName() ?? '(anonymous)',
  };
}
