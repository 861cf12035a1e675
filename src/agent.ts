/**
 * Starts and stops everything loopwatch does in a process. `start` returns a handle whose `stop`
 * undoes exactly what `start` did.
 */
import { DEFAULTS, type Options } from './options';
import { warn } from './warn';
import { whyNoStackCapture } from './inspector-check';
import { startWatchdog, type Watchdog } from './watchdog/main';
import { flushOnSignals } from './signals';

export interface Agent {
  readonly options: Readonly<Options>;
  /** Writes the JSON report now (when `LOOPWATCH_REPORT` is set). */
  flush(): void;
  stop(): void;
}

const RUNNING = Symbol.for('loopwatch.agent');
type GlobalWithAgent = typeof globalThis & { [RUNNING]?: Agent };

/**
 * Starts loopwatch in this process. Calling it again returns the running agent, so a preload plus
 * a programmatic call (or a preload loaded twice) never starts two watchdogs.
 *
 *     node --require loopwatch/preload app.js
 */
export function start(overrides: Partial<Options> = {}): Agent {
  const holder = globalThis as GlobalWithAgent;
  const running = holder[RUNNING];
  if (running !== undefined) return running;
  const options = validate({ ...DEFAULTS, ...overrides });
  if (options.mode === 'off') return { options, flush() {}, stop() {} };

  const reasonNoStacks = options.stacks ? whyNoStackCapture() : 'disabled by LOOPWATCH_STACKS';
  if (options.stacks && reasonNoStacks !== null) {
    warn('LOOPWATCH_NO_INSPECTOR', `no stack capture: ${reasonNoStacks}; stalls are still timed`);
  }
  let watchdog: Watchdog | null = null;
  try {
    watchdog = startWatchdog(options, reasonNoStacks === null, { warn });
  } catch (error) {
    warn('LOOPWATCH_WORKER_FAILED', `cannot start the watchdog worker (${(error as Error).message}); stall detection is off`);
  }
  const flush = (): void => watchdog?.flush(false);
  const onExit = (): void => watchdog?.flush(true);
  // Only a report needs flushing; without one, exit stays as fast as without loopwatch.
  const needsFlush = options.report !== null;
  if (needsFlush) process.on('exit', onExit);
  const detachSignals = needsFlush ? flushOnSignals(flush) : () => undefined;

  const agent: Agent = {
    options,
    flush,
    stop() {
      process.removeListener('exit', onExit);
      detachSignals();
      watchdog?.stop();
      watchdog = null;
      if (holder[RUNNING] === agent) delete holder[RUNNING];
    },
  };
  holder[RUNNING] = agent;
  return agent;
}

/** Misuse of the programmatic API is a bug in the caller's code: it throws, unlike bad env values. */
function validate(options: Options): Options {
  const positive = ['thresholdMs', 'hangMs', 'sampleIntervalMs', 'maxSites', 'maxStalls', 'logLinesPerMinute'] as const;
  for (const key of positive) {
    if (typeof options[key] !== 'number' || !(options[key] > 0)) throw new TypeError(`loopwatch: options.${key} must be a positive number`);
  }
  if (!['off', 'production', 'debug'].includes(options.mode)) throw new TypeError('loopwatch: options.mode must be off, production or debug');
  if (options.hangMs < options.thresholdMs) throw new TypeError('loopwatch: options.hangMs must be >= options.thresholdMs');
  return options;
}
