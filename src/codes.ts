/**
 * Every warning loopwatch can print, by stable code. Codes are never reused or renamed:
 * users grep for them and `test/unit/docs.test.ts` checks this list against the README table.
 */
export const CODES = {
  /** An environment variable had a value loopwatch cannot use; the default was used instead. */
  LOOPWATCH_BAD_ENV: 'LOOPWATCH_BAD_ENV',
  /** The inspector is missing or already used by a debugger: stalls are timed but carry no stack. */
  LOOPWATCH_NO_INSPECTOR: 'LOOPWATCH_NO_INSPECTOR',
  /**
   * The native stack capture (the optional module @sentry/node-native-stacktrace) is missing, has no
   * binary for this platform or Node version, or failed: stalls are timed, sync-API calls located.
   */
  LOOPWATCH_NO_NATIVE_CAPTURE: 'LOOPWATCH_NO_NATIVE_CAPTURE',
  /** The watchdog worker could not start or died: stall detection is off, the app is unaffected. */
  LOOPWATCH_WORKER_FAILED: 'LOOPWATCH_WORKER_FAILED',
  /** The JSON report could not be written (missing or read-only folder, disk full, ...). */
  LOOPWATCH_REPORT_UNWRITABLE: 'LOOPWATCH_REPORT_UNWRITABLE',
  /** The log file could not be opened or written: log lines go to stderr instead. */
  LOOPWATCH_LOG_UNWRITABLE: 'LOOPWATCH_LOG_UNWRITABLE',
  /** An unexpected internal error inside loopwatch; it was contained and the app keeps running. */
  LOOPWATCH_INTERNAL: 'LOOPWATCH_INTERNAL',
  /** `LOOPWATCH_METRICS_PORT` is already taken (often by a parent process that inherited NODE_OPTIONS): no /metrics here. */
  LOOPWATCH_METRICS_PORT_IN_USE: 'LOOPWATCH_METRICS_PORT_IN_USE',
  /** The /metrics server could not listen for another reason (bad host, permission): no /metrics here. */
  LOOPWATCH_METRICS_SERVER_FAILED: 'LOOPWATCH_METRICS_SERVER_FAILED',
  /** The folder `LOOPWATCH_CODE_CACHE` names cannot be created or opened, or is not this user's alone to write: loopwatch loads without its code cache (a slower start). */
  LOOPWATCH_CODE_CACHE_UNUSABLE: 'LOOPWATCH_CODE_CACHE_UNUSABLE',
} as const;

export type WarningCode = keyof typeof CODES;
