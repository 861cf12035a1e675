/**
 * What kind of blocking a stall was, from what the watchdog knows about it. The kind drives the
 * advice and is a label users filter on.
 */
import type { Frame } from '../stack/frames';
import type { StallKind } from '../stall-kind';

export type { StallKind } from '../stall-kind';
import { regexOnLine } from '../advice/regex';
import { readSourceLines } from '../stack/source';


export interface ClassifyInput {
  api: string | null;
  site: Frame | null;
  stack: readonly Frame[];
}

/** A file's lines (index 0 is line 1), or null. Runs in the watchdog worker: reading disk is fine there. */
export type ReadLines = (file: string) => readonly string[] | null;

/** Node's entry points for queued promise work: a stack bottomed by one ran from the microtask queue. */
const MICROTASK_ENTRY = new Set(['processTicksAndRejections', 'runMicrotasks']);
/**
 * A line that chains or awaits promises; or declares an async function: a native capture taken as
 * the function resumed after an await names its first line (src/stack/entry-position.ts).
 */
const PROMISE_STEP = /\bawait\b|\.then\s*\(|\bqueueMicrotask\s*\(|\bPromise\.(?:resolve|all|allSettled|race|any)\s*\(|\basync\b/;

export function classifyStall(input: ClassifyInput, readLines: ReadLines = readSourceLines): StallKind {
  // First: the module loader calls fs's sync APIs itself (realpathSync, readFileSync), and a
  // dependency's top-level code runs inside the require() that loads it.
  if (loadingModules(input.site, input.stack)) return 'module-loading';
  if (input.api !== null) return input.api.startsWith('JSON.') ? 'json' : 'sync-api';
  if (input.site === null || input.stack.length === 0) return 'unknown';
  const top = input.stack[0]!;
  // A site that names its package had no app frame above it: the package's own work (attribution.ts).
  if (input.site.package !== undefined || top.file.split(/[\\/]/).includes('node_modules')) return 'dependency';
  const lines = readLines(input.site.file);
  if (lines !== null && regexOnLine(lines, input.site.line) !== null) return 'regex';
  if (fromMicrotaskQueue(input.stack) && lines !== null && PROMISE_STEP.test(lines[input.site.line - 1] ?? '')) return 'microtasks';
  return 'cpu';
}

/** A frame of Node's module loader: CommonJS `require`, ES module loading, the loader-hooks thread. */
export function isModuleLoaderFrame(frame: Frame): boolean {
  return frame.file.startsWith('node:internal/modules/');
}

/**
 * Whether the time went into loading a module: the loader is above the site on the stack (the
 * site's `require()` or `import()` had not returned), or, with no site, anywhere on it (only Node
 * was running: the loader itself, or the handshake with `--import` hooks such as tsx's). Loader
 * frames *below* the site are the entry module being run, which says nothing about the site.
 */
export function loadingModules(site: Frame | null, stack: readonly Frame[]): boolean {
  if (site === null) return stack.some(isModuleLoaderFrame);
  const siteIndex = stack.findIndex((frame) => frame === site || (frame.file === site.file && frame.line === site.line && frame.column === site.column));
  return siteIndex > 0 && stack.slice(0, siteIndex).some(isModuleLoaderFrame);
}

/**
 * Whether the stack ran from the microtask queue: bottomed by Node's tick processing, or (when V8
 * drains the queue natively after a callback) by app code with no event-loop entry frame below it.
 * Not enough on its own: a CPU loop after an `await` looks the same, so the caller also requires
 * the blocking line to be a promise step.
 */
export function fromMicrotaskQueue(stack: readonly Frame[]): boolean {
  const bottom = stack[stack.length - 1];
  if (bottom === undefined) return false;
  if (MICROTASK_ENTRY.has(bottom.function)) return true;
  return !bottom.file.startsWith('node:') && bottom.file !== '';
}
