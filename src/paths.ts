import * as path from 'node:path';

/**
 * The folder of loopwatch's compiled modules (dist/src). This file sits at its top, so the value is
 * the same whether the module is loaded on its own or from the main-thread bundle, which is written
 * next to it (scripts/bundle.mjs): files are found from here, never from a module's own __dirname.
 */
export const COMPILED_SRC: string = __dirname;

/** The watchdog worker's entry, bundled (src/watchdog/worker-entry.ts): it loads the bundle below with loopwatch's code cache. */
export const WATCHDOG_WORKER_FILE = path.join(COMPILED_SRC, 'watchdog-entry.js');
/** The watchdog worker itself, bundled (scripts/bundle.mjs). */
export const WATCHDOG_BUNDLE_FILE = path.join(COMPILED_SRC, 'watchdog-worker.js');
/** The native capture path's thread (src/watchdog/capture-thread.ts), a few small modules: not bundled. */
export const CAPTURE_THREAD_FILE = path.join(COMPILED_SRC, 'watchdog', 'capture-thread.js');
