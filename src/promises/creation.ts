/**
 * Where a promise was created, from the V8 call sites at its `init` hook. Capturing a stack is the
 * detector's main cost (2-5 us per promise, measured), so it is kept small and split in two:
 *
 * - at `init`, `captureRaw` takes the stack without formatting it (V8 formats `stack` on first
 *   read) and `classifyChild` reads only the top 3 frames of a child;
 * - `readCreation` formats a root's stack only when it is needed: for the few promises still
 *   unobserved two microtask hops later, or for a rejection's report.
 *
 * Frames are plain 1-based data; source maps are applied later, only for reported sites (mapping
 * reads files).
 */
import { urlToPath, type Frame } from '../stack/frames';
import { THEN_MARKER_FILE } from './then-marker';

/** Enough to get past a library's own frames to the app line that called it. */
const CREATION_FRAMES = 8;
/** `.then` / `.finally` / `.catch` builtins and the line that called them. */
const CHILD_FRAMES = 3;

/** How a promise came to be, read from the frames above the `init` hook. */
export type CreationKind =
  /** No parent: an async function's promise, `new Promise`, `Promise.resolve`, `Promise.all`... */
  | 'root'
  /** `p.then(f)` / `p.finally(f)` called by code: the end of a chain someone may drop. */
  | 'chain'
  /** Made by a builtin for its own use (`await`, `.catch`, `Promise.all` inputs): never a finding. */
  | 'internal';

/** A captured, not yet formatted stack. */
export interface RawStack {
  stack?: unknown;
}

type Hook = (...args: never[]) => unknown;

/** The stack above `hook`, unformatted: cheap to take, formatted by {@link readCreation} if ever needed. */
export function captureRaw(hook: Hook, frames = CREATION_FRAMES): RawStack {
  const originalLimit = Error.stackTraceLimit;
  const holder: RawStack = {};
  try {
    Error.stackTraceLimit = frames;
    Error.captureStackTrace(holder, hook);
  } finally {
    Error.stackTraceLimit = originalLimit;
  }
  return holder;
}

/**
 * The frames from the creating line down. A root whose first frame is JavaScript (no builtin
 * such as `Promise` or `Promise.resolve` in between) is an async function's own promise, made as
 * the function is entered: the line that created it is the caller's.
 */
export function readCreation(raw: RawStack, kind: 'root' | 'chain'): Frame[] {
  const callSites = withoutAgentFrames(format(raw));
  let index = kind === 'root' && callSites[0]?.getFileName() ? 1 : 0;
  while (index < callSites.length && !callSites[index]!.getFileName()) index += 1;
  return callSites.slice(index).map(toFrame);
}

/**
 * `.then(f)` / `.finally(f)` called by code is a chain end; anything else is a builtin's own
 * promise: the throwaway of an `await`, the reactions of `Promise.all`, and `.catch(f)` (which is
 * `.then(undefined, f)`: its result handles errors, dropping it is fine). So is `.then(f, g)` called
 * by code, when `rejectionHandled` says it had a rejection handler (then-marker.ts): `.finally`
 * passes a pair of handlers too, and handles nothing.
 */
export function classifyChild(hook: Hook, rejectionHandled = false): 'chain' | 'internal' {
  const callSites = withoutAgentFrames(format(captureRaw(hook, CHILD_FRAMES + HOOK_DISPATCH_FRAMES + MARKER_FRAMES)));
  if (!isBuiltin(callSites[0], 'then')) return 'internal';
  const viaFinally = isBuiltin(callSites[1], 'finally');
  const next = viaFinally ? callSites[2] : callSites[1];
  // An async frame below `then` is V8 resolving an async function's promise with another promise
  // (`async () => work()`): Node 26's V8 shows the awaiting function there, older ones nothing.
  if (next === undefined || !next.getFileName() || next.isAsync()) return 'internal';
  return rejectionHandled && !viaFinally ? 'internal' : 'chain';
}

/**
 * When more than one promise hook is installed (the app's own, or async_hooks, which loopwatch's
 * debug mode enables too), Node calls ours from a dispatcher in `node:internal/promise_hooks`:
 * those frames sit between our hook and the code that made the promise. So does the then-marker's.
 */
const HOOK_DISPATCH_FRAMES = 2;
/** then-marker.ts's own frame, between V8's `then` and its caller while detection is on. */
const MARKER_FRAMES = 1;
function withoutAgentFrames(callSites: NodeJS.CallSite[]): NodeJS.CallSite[] {
  let index = 0;
  while (index < callSites.length && isHookDispatch(callSites[index]!.getFileName())) index += 1;
  const rest = index === 0 ? callSites : callSites.slice(index);
  return rest.some(isMarker) ? rest.filter((callSite) => !isMarker(callSite)) : rest;
}
function isHookDispatch(file: string | null | undefined): boolean {
  return file === 'node:internal/promise_hooks' || file === 'node:internal/async_hooks';
}
/** The marker's own frame: by file and name, since bundled, its file holds the rest of loopwatch too. */
function isMarker(callSite: NodeJS.CallSite): boolean {
  return callSite.getFileName() === THEN_MARKER_FILE && callSite.getFunctionName() === 'then';
}

function isBuiltin(callSite: NodeJS.CallSite | undefined, name: string): boolean {
  return callSite !== undefined && !callSite.getFileName() && callSite.getFunctionName() === name && callSite.getTypeName() === 'Promise';
}

function format(raw: RawStack): NodeJS.CallSite[] {
  // Read and restored as a property, never called by us.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originalPrepare = Error.prepareStackTrace;
  try {
    // Temporarily, so the app's own prepareStackTrace (or source-map-support's) never sees this.
    Error.prepareStackTrace = (_error, callSites) => callSites;
    const stack = raw.stack;
    return Array.isArray(stack) ? (stack as NodeJS.CallSite[]) : [];
  } finally {
    Error.prepareStackTrace = originalPrepare;
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
