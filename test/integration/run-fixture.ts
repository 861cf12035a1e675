/**
 * Runs a fixture app the way a user would: `node --require ./preload fixture`, in a child process,
 * and returns what the user would see.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'integration', 'fixtures');
export const PRELOAD = path.join(ROOT, 'preload', 'index.js');

/**
 * The phase of a stall in an ES module entry's top-level code: Node 22 and later publish the entry's
 * import on the `module.import` tracing channel, so start-up lasts until it settles; on Node 20 it
 * ends at the first loop turn (src/watchdog/startup-end.ts).
 */
export const ESM_TOP_LEVEL_PHASE = Number(process.versions.node.split('.')[0]) >= 22 ? 'startup' : 'runtime';
/** How the log line names that phase: `blocked 600 ms during start-up at ...`. */
export const ESM_TOP_LEVEL_LOG = ESM_TOP_LEVEL_PHASE === 'startup' ? ' during start-up' : '';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The parsed JSON report, when one was written. */
  report: any;
  reportPath: string;
  durationMs: number;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Extra node flags before the script. */
  nodeArgs?: string[];
  args?: string[];
  /** Leave the agent out entirely: the baseline a run with the agent is compared with. */
  withoutAgent?: boolean;
  /** Use `--import` instead of `--require`. */
  viaImport?: boolean;
  timeoutMs?: number;
  cwd?: string;
  /** Called with the child as soon as it is spawned, and the report path it was given. */
  onSpawn?: (child: ReturnType<typeof spawn>, reportPath: string) => void;
}

export function tempDir(prefix = 'loopwatch-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function runFixture(script: string, options: RunOptions = {}): Promise<RunResult> {
  const dir = tempDir();
  const reportPath = path.join(dir, 'report.json');
  const scriptPath = path.isAbsolute(script) ? script : path.join(FIXTURES, script);
  const preloadArgs = options.withoutAgent ? [] : options.viaImport ? ['--import', PRELOAD] : ['--require', PRELOAD];
  const env: NodeJS.ProcessEnv = { ...process.env, LOOPWATCH_REPORT: reportPath, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  delete env.NODE_OPTIONS;
  if (options.env?.NODE_OPTIONS !== undefined) env.NODE_OPTIONS = options.env.NODE_OPTIONS;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...preloadArgs, ...(options.nodeArgs ?? []), scriptPath, ...(options.args ?? [])], {
      env,
      cwd: options.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    options.onSpawn?.(child, reportPath);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, report: readReport(reportPath), reportPath, durationMs: Date.now() - started });
    });
  });
}

export function readReport(file: string): any {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** The 1-based line in a fixture marked `// BLOCKING LINE` (or another marker). */
export function blockingLine(script: string, marker = 'BLOCKING LINE'): number {
  const lines = fs.readFileSync(path.isAbsolute(script) ? script : path.join(FIXTURES, script), 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes(marker));
  if (index < 0) throw new Error(`${script} has no ${marker} marker`);
  return index + 1;
}

/**
 * Sends `signal` to a live process once the report it keeps on disk satisfies `ready` (polled, not
 * a fixed delay after some output: a loaded machine can take longer to record and write a stall).
 * At the deadline it is sent anyway, so the test fails on its assertions rather than on a timeout.
 */
export function signalWhenReport(child: ChildProcess, reportPath: string, ready: (report: any) => boolean, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): void {
  const isReady = (): true | null => {
    const report = readReport(reportPath);
    return report !== null && ready(report) ? true : null;
  };
  void waitFor(isReady, timeoutMs, `the report at ${reportPath}`)
    .catch(() => undefined)
    .finally(() => child.kill(signal));
}

/** Polls until `check` returns a value or the deadline passes; never a fixed sleep. */
export async function waitFor<T>(check: () => T | null | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
