/**
 * Loads `@sentry/node-native-stacktrace`, the optional native module behind the `native` capture
 * path: it reads a thread's stack from another thread by V8's `RequestInterrupt` and
 * `StackTrace::CurrentStackTrace`, with no debugger involved (docs/capture.md says why that matters).
 *
 * The prebuilt binary for this platform and ABI is required directly: the package's own entry
 * loads two more dependencies (detect-libc, node-abi) only to compute the same file name, and this
 * runs on the app's start-up path. Anything unusual (musl detection, a binary built from source,
 * `SENTRY_STACK_TRACE_BINARY_PATH`) falls back to the package's entry.
 */
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';

export interface NativeFrame {
  function: string;
  filename: string;
  /** 1-based. */
  lineno: number;
  /** 1-based. */
  colno: number;
}

/** The part of the module's binding loopwatch uses. */
export interface NativeStacks {
  registerThread(threadName: string): void;
  /** With an AsyncLocalStorage: each capture also reads its store (the `stateLookup` path into it) as JSON, on Node 22 and later. */
  registerThread(storage: { asyncLocalStorage: object; stateLookup: string[] }, threadName: string): void;
  /** Every registered thread but the caller's, by name. Blocks until each answered (at most 5 s each). */
  captureStackTrace(): Record<string, { frames: NativeFrame[]; asyncState?: string }>;
}

const PACKAGE = '@sentry/node-native-stacktrace';

let loaded: NativeStacks | Error | undefined;

/** The binding, or why it cannot be had here. Loaded once per thread; never throws. */
export function loadNativeStacks(): NativeStacks | Error {
  if (loaded !== undefined) return loaded;
  try {
    loaded = loadBinding();
  } catch (error) {
    loaded = error instanceof Error ? error : new Error(String(error));
  }
  return loaded;
}

function loadBinding(): NativeStacks {
  let entry: string;
  try {
    entry = require.resolve(PACKAGE);
  } catch (error) {
    throw new Error(`the optional dependency ${PACKAGE} is not installed`, { cause: error });
  }
  const lib = path.dirname(entry);
  const { platform, arch } = process;
  const abi = process.versions.modules;
  // Linux binaries come per C library; a glibc binary fails to load on musl (and the reverse), so
  // the first that loads is the right one.
  const names =
    platform === 'linux' ? [`stack-trace-linux-${arch}-glibc-${abi}.node`, `stack-trace-linux-${arch}-musl-${abi}.node`] : [`stack-trace-${platform}-${arch}-${abi}.node`];
  if (process.env.SENTRY_STACK_TRACE_BINARY_PATH === undefined && process.env.SENTRY_STACK_TRACE_BINARY_DIR === undefined) {
    for (const name of names) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon can only be required
        return checked(require(path.join(lib, name)) as unknown);
      } catch {
        // Not for this C library, or absent: the package's entry knows the other ways.
      }
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return checked(require(PACKAGE) as unknown);
  } catch (error) {
    throw new Error(`${PACKAGE} has no binary for ${platform}-${arch}, Node ABI ${abi} (${firstLine(error)})`, { cause: error });
  }
}

function checked(binding: unknown): NativeStacks {
  const candidate = binding as Partial<NativeStacks> | null;
  if (typeof candidate?.registerThread !== 'function' || typeof candidate.captureStackTrace !== 'function') {
    throw new Error(`${PACKAGE} does not have the expected functions`);
  }
  return candidate as NativeStacks;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/**
 * The name a thread registers under: its threadId, as the module's own `registerThread()` names it
 * by default. The module keeps one registry per process, keyed by isolate, and the first name a
 * thread registers under wins: an app that also uses the module (Sentry) must find its threads
 * where it expects them, and so must we.
 */
export function threadKey(id: number = threadId): string {
  return String(id);
}

/**
 * Registers the calling thread for native capture; the reason it could not, or null. With
 * `requests` (loopwatch's AsyncLocalStorage of HTTP requests, src/http/store.ts), each capture
 * also reads the id of the request the thread is blocked in.
 */
export function registerForNativeCapture(requests: object | null = null): string | null {
  const binding = loadNativeStacks();
  if (binding instanceof Error) return binding.message;
  try {
    if (requests !== null) binding.registerThread({ asyncLocalStorage: requests, stateLookup: ['id'] }, threadKey());
    else binding.registerThread(threadKey());
    return null;
  } catch (error) {
    return firstLine(error);
  }
}
