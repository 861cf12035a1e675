/**
 * What `--require loopwatch/preload` runs: options from the environment, start, and nothing that
 * can throw into the app.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { readOptionsFromEnv } from './options';
import { warn } from './warn';
import { WATCHDOG_MARK } from './watchdog/shared';

const REGISTERED = Symbol.for('loopwatch.thread');

function preload(): void {
  // The watchdog's own worker is started without the preload; this guards against it anyway.
  if (!isMainThread && (workerData as Record<string, unknown> | null)?.[WATCHDOG_MARK] === true) return;
  const { options, warnings } = readOptionsFromEnv(process.env);
  // A worker thread inherits the environment: the main thread already printed these.
  if (isMainThread) for (const warning of warnings) warn(warning.code, warning.message);
  if (options.mode === 'off') return;
  // Each role loads only its own modules: the agent (metrics, promises, ...) is 45 ms of loading
  // that an app worker thread, started often, must not pay (new Worker to its first message: 80 -> 47 ms median, 25 ms without loopwatch).
  if (isMainThread) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./agent') as typeof import('./agent')).start(options);
    return;
  }
  // An app worker thread: the process's one watchdog watches it too; never a second watchdog.
  const holder = globalThis as Record<symbol, unknown>;
  if (holder[REGISTERED] !== undefined) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  holder[REGISTERED] = (require('./watchdog/app-thread') as typeof import('./watchdog/app-thread')).registerThread(options, warn);
}

try {
  preload();
} catch (error) {
  warn('LOOPWATCH_INTERNAL', `could not start (${(error as Error).message}); the app runs without loopwatch`);
}
