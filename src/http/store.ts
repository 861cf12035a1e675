/**
 * loopwatch's own AsyncLocalStorage for the HTTP request being served (src/http/requests.ts), with
 * LOOPWATCH_EXACT_REQUESTS only, and only where AsyncLocalStorage runs on AsyncContextFrame (Node 24
 * and later by default; on Node 20 and 22 it is an async hook on every promise and resource). The
 * native capture reads it from the watchdog's side while the thread is blocked
 * (src/capture/native-binding.ts). Not by default: measured on the overhead bench (Node 24.22, 5
 * paired rounds), `enterWith` in the request-start subscriber cost +22% CPU per request and +120 MiB
 * RSS, even with a bare number as the store (every async resource the request creates, the
 * keep-alive timer included, carries the new frame).
 */
import type { AsyncLocalStorage } from 'node:async_hooks';

/** What the store holds; `id` is what the native capture reads (a number: no code of the app's runs to read it). */
export interface RequestInStore {
  id: number;
}

let store: AsyncLocalStorage<RequestInStore> | null = null;

/** The store, once created; null by default. */
export function requestStore(): AsyncLocalStorage<RequestInStore> | null {
  return store;
}

/** Creates the store where AsyncContextFrame runs it (see above); the store, or null. Once per process. */
export function createRequestStore(): AsyncLocalStorage<RequestInStore> | null {
  if (store === null && asyncContextFrameOn()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only where it is used
    store = new (require('node:async_hooks') as typeof import('node:async_hooks')).AsyncLocalStorage<RequestInStore>();
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
