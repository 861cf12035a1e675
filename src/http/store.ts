/**
 * loopwatch's own AsyncLocalStorage for the HTTP request being served (src/http/requests.ts): one
 * per process, created at the first call, and only where AsyncLocalStorage runs on
 * AsyncContextFrame (Node 24 and later by default). There a store costs a pointer per async
 * resource; on Node 20 and 22 it would enable an async hook for every promise and resource, which
 * the overhead bench shows, so there is none. The native capture path reads it from the watchdog's
 * side while the thread is blocked (src/capture/native-binding.ts).
 */
import type { AsyncLocalStorage } from 'node:async_hooks';

/** What the store holds; `id` is what the native capture reads (a number: no code of the app's runs to read it). */
export interface RequestInStore {
  id: number;
}

let store: AsyncLocalStorage<RequestInStore> | null | undefined;

/** The store, or null where it would cost every request (see above). */
export function requestStore(): AsyncLocalStorage<RequestInStore> | null {
  if (store === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only where it is used
    store = asyncContextFrameOn() ? new (require('node:async_hooks') as typeof import('node:async_hooks')).AsyncLocalStorage<RequestInStore>() : null;
  }
  return store;
}

/**
 * Whether AsyncLocalStorage runs on AsyncContextFrame here: Node 24 and later unless turned off,
 * Node 22 with `--experimental-async-context-frame`.
 */
export function asyncContextFrameOn(): boolean {
  const major = Number(process.versions.node.split('.')[0]);
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (major >= 24) return !flags.includes('--no-async-context-frame');
  return major >= 22 && flags.includes('--experimental-async-context-frame');
}
