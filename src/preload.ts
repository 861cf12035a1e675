/**
 * What `--require loopwatch/preload` runs: options from the environment, start, and nothing that
 * can throw into the app.
 */
import { isMainThread } from 'node:worker_threads';
import { readOptionsFromEnv } from './options';
import { warn } from './warn';
import { start } from './agent';

function preload(): void {
  // A preload inherited by the app's worker threads must not start a second watchdog.
  if (!isMainThread) return;
  const { options, warnings } = readOptionsFromEnv(process.env);
  for (const warning of warnings) warn(warning.code, warning.message);
  if (options.mode === 'off') return;
  start(options);
}

try {
  preload();
} catch (error) {
  warn('LOOPWATCH_INTERNAL', `could not start (${(error as Error).message}); the app runs without loopwatch`);
}
