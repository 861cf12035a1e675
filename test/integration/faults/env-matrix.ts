/**
 * Which value each LOOPWATCH_* variable gets in a "bad value" run, decided per variable: for a path
 * or a host name almost any string is a legitimate value, so "bad" has to mean something else (or
 * nothing) there. Shared by the integration test (all variables at once) and the unit test (one at
 * a time).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../run-fixture';

export const BAD_CLASSES = {
  garbage: 'banana',
  empty: '',
  negative: '-5',
  huge: '99999999999999999999',
} as const;
export type BadClass = keyof typeof BAD_CLASSES;

export interface BadSetting {
  /** The value to set, or undefined to leave the variable unset in that run. */
  value: string | undefined;
  /** Whether that value must produce exactly one LOOPWATCH_BAD_ENV warning naming the variable. */
  warns: boolean;
  /** Why the plain class value is not used as is, when it is not. */
  why?: string;
}

/** Every LOOPWATCH_* variable src/options.ts reads (the same extraction as test/unit/docs.test.ts). */
export function variablesReadByOptions(): string[] {
  const source = fs.readFileSync(path.join(ROOT, 'src', 'options.ts'), 'utf8');
  return [...new Set([...source.matchAll(/\(\s*'(LOOPWATCH_[A-Z0-9_]+)'/g)].map((match) => match[1]!))].sort();
}

/** Variables whose value is taken as it comes (a path, a list of paths): no string is bad. */
const EXCLUDED: Record<string, string> = {
  // Kept valid on purpose, so that the report can be read; report-path faults: report-path.test.ts.
  LOOPWATCH_REPORT: 'a path; set to a valid report path in every run',
  // `stderr`, `off`, or a path: "banana", "-5" and "9999..." are all file names it would append to.
  LOOPWATCH_LOG: 'any other string is a log file path (appended to), not a bad value',
  // Path prefixes: any string is one (a prefix nothing matches only changes attribution).
  LOOPWATCH_APP_PATHS: 'any string is a path prefix, not a bad value',
};

/** The table every "bad value" test reads. Unknown variables throw: a new variable needs a decision here. */
export function badSetting(name: string, cls: BadClass): BadSetting {
  const plain = BAD_CLASSES[cls];
  if (name in EXCLUDED) return { value: undefined, warns: false, why: EXCLUDED[name] };
  switch (name) {
    case 'LOOPWATCH_METRICS_HOST':
      // A host name is only checked when the server listens (LOOPWATCH_METRICS_SERVER_FAILED, see
      // test/integration/metrics/server.test.ts). LOOPWATCH_METRICS_PORT is bad in the same run, so
      // no server starts: the value must produce no warning at all.
      return { value: plain, warns: false, why: 'a host name, resolved only when /metrics listens' };
    case 'LOOPWATCH_FLOATING_IGNORE':
    case 'LOOPWATCH_IGNORE_SITES':
      // "banana", "-5" and "9999..." are valid file names. An entry that names no file (":line")
      // is the bad value these lists can have; empty stays empty (documented: unset).
      // LOOPWATCH_IGNORE_SITES skips the bad entry and keeps the others: here there are none.
      return cls === 'empty' ? { value: '', warns: false } : { value: `:${plain}`, warns: true, why: 'an entry that names no file (":...")' };
    case 'LOOPWATCH_MODE':
    case 'LOOPWATCH_THRESHOLD_MS':
    case 'LOOPWATCH_HANG_MS':
    case 'LOOPWATCH_LOG_FORMAT':
    case 'LOOPWATCH_STACKS':
    case 'LOOPWATCH_CAPTURE':
    case 'LOOPWATCH_MAX_CAPTURES_PER_MIN':
    case 'LOOPWATCH_SAMPLE_MS':
    case 'LOOPWATCH_MAX_SAMPLES':
    case 'LOOPWATCH_MAX_SITES':
    case 'LOOPWATCH_MAX_STALLS':
    case 'LOOPWATCH_LOG_PER_MIN':
    case 'LOOPWATCH_SYNC_APIS':
    case 'LOOPWATCH_SLOW_CALL_MS':
    case 'LOOPWATCH_METRICS_PORT':
    case 'LOOPWATCH_METRICS_MAX_SITES':
    case 'LOOPWATCH_FLOATING':
    case 'LOOPWATCH_FLOATING_SAMPLE':
    case 'LOOPWATCH_STALL_CONTEXT':
    case 'LOOPWATCH_REQUESTS':
    case 'LOOPWATCH_BUSY_PERCENT':
    case 'LOOPWATCH_BUSY_WINDOW_MS':
    case 'LOOPWATCH_EXACT_REQUESTS':
    case 'LOOPWATCH_TRACES':
      // Enums, booleans, bounded integers, a port: none of the four is valid. Empty means unset
      // (src/options.ts `raw`: a blank value is the default), so it must not warn.
      return { value: plain, warns: cls !== 'empty' };
    default:
      throw new Error(`${name}: no decision on what a bad value is; add it to test/integration/faults/env-matrix.ts`);
  }
}

/** One run's environment: every variable at once, with the value the table gives it. */
export function badEnvironment(cls: BadClass): { env: Record<string, string | undefined>; warning: string[]; silent: string[] } {
  const env: Record<string, string | undefined> = {};
  const warning: string[] = [];
  const silent: string[] = [];
  for (const name of variablesReadByOptions()) {
    const setting = badSetting(name, cls);
    env[name] = setting.value;
    (setting.warns ? warning : silent).push(name);
  }
  return { env, warning, silent };
}

/** `(node:123) [CODE] LoopwatchWarning: loopwatch: message` lines, as Node prints process.emitWarning. */
export function loopwatchWarnings(stderr: string): Array<{ code: string; message: string }> {
  return [...stderr.matchAll(/^\(node:\d+\) \[([A-Z0-9_]+)\] LoopwatchWarning: (.*)$/gm)].map((match) => ({ code: match[1]!, message: match[2]! }));
}

/** Any `[LOOPWATCH_...]` code on stderr, whatever the line looks like (a format change must not hide one). */
export function allLoopwatchCodes(stderr: string): string[] {
  return [...stderr.matchAll(/\[(LOOPWATCH_[A-Z0-9_]+)\]/g)].map((match) => match[1]!);
}
