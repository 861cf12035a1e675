/**
 * The README's security guarantees, one test each: /metrics on loopback by default, no argument
 * values or environment contents in what loopwatch writes, owner-only report and log files whatever
 * the umask, and no inspector port ever (debug mode and worker-thread capture included).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, PRELOAD, ROOT, blockingLine, readReport, tempDir } from '../run-fixture';
import { announcedPort } from '../metrics/scrape';
import { allLoopwatchCodes } from './env-matrix';
import { freePort } from '../metrics/scrape';
import { listeningSockets, runHeld, scrapeUntil, sum, until, type ListeningSocket } from './helpers';

const SOCKETS = 'fault-sockets.js';
const SOCKETS_SITE = `test/integration/fixtures/${SOCKETS}:${blockingLine(SOCKETS)}`;

/** How a TCP connect to host:port ends: 'connected', or the error code (ECONNREFUSED, ...). */
function connectOutcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 5000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Waits until /metrics shows both threads' stalls at the fixture's line, then returns the process's listening sockets. */
async function socketsAfterStalls(pid: number, port: number): Promise<ListeningSocket[]> {
  await scrapeUntil(
    port,
    (s) => sum(s, 'loopwatch_eventloop_stalls_total', { site: SOCKETS_SITE, thread: 'main' }) >= 1 && sum(s, 'loopwatch_eventloop_stalls_total', { site: SOCKETS_SITE, thread: 'worker' }) >= 1,
  );
  return listeningSockets(pid);
}

describe('security guarantees', () => {
  it('/metrics listens on 127.0.0.1 only by default', async () => {
    // Method: the process's own listening sockets, from /proc/<pid>/fd and /proc/<pid>/net/tcp{,6}
    // (see listeningSockets): the exact bound address, with no tool to install and whatever
    // interfaces the machine has. A wildcard bind (0.0.0.0 or ::) would show as such. As a second,
    // user's-eye check, when the machine has a non-loopback IPv4 address, connecting there is refused
    // while 127.0.0.1 answers.
    const port = await freePort();
    let sockets: ListeningSocket[] = [];
    let external: { address: string; outcome: string } | null = null;
    let loopback = '';
    const result = await runHeld(SOCKETS, { env: { LOOPWATCH_METRICS_PORT: String(port) } }, async (held) => {
      sockets = await socketsAfterStalls(held.child.pid!, port);
      loopback = await connectOutcome('127.0.0.1', port);
      const address = Object.values(os.networkInterfaces())
        .flat()
        .find((info) => info !== undefined && info.family === 'IPv4' && !info.internal)?.address;
      if (address !== undefined) external = { address, outcome: await connectOutcome(address, port) };
    });
    expect(result.code).toBe(0);
    expect(sockets).toEqual([{ address: '127.0.0.1', port }]);
    expect(loopback).toBe('connected');
    if (external !== null) expect(external, 'connecting through a non-loopback interface').toMatchObject({ outcome: 'ECONNREFUSED' });
  });

  it.each(['production', 'debug'])('%s mode: no argument value or environment content in the report, /metrics or stderr', async (mode) => {
    const secret = `S3CR3T-${randomUUID()}`;
    const token = secret.slice('S3CR3T-'.length);
    let metrics = '';
    const result = await runHeld(
      'fault-secrets.js',
      {
        args: [secret],
        // Node's own unhandled-rejection output instead of a crash: the process goes on to be scraped.
        nodeArgs: ['--unhandled-rejections=warn'],
        env: { LW_SECRET: secret, LOOPWATCH_MODE: mode, LOOPWATCH_STALL_CONTEXT: mode === 'debug' ? 'on' : undefined, LOOPWATCH_METRICS_PORT: '0' },
      },
      async (held) => {
        await until(() => announcedPort(held.stderr()) !== null, 15_000, 'the metrics port on stderr');
        // Five stalls in the scenario, then the rejection, its last step: wait for all of it.
        ({ body: metrics } = await scrapeUntil(
          announcedPort(held.stderr())!,
          (s) => sum(s, 'loopwatch_eventloop_stall_seconds_count') >= 5 && sum(s, 'loopwatch_unhandled_rejections_total') >= 1,
        ));
      },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    const report = fs.readFileSync(result.reportPath, 'utf8');
    // The scenario really ran through the paths that see the secret.
    const parsed = JSON.parse(report);
    expect(parsed.summary.stalls).toBeGreaterThanOrEqual(5);
    for (const api of ['JSON.parse', 'zlib.gzipSync', 'child_process.execSync', 'fs.readFileSync']) expect(parsed.syncApis[api]?.calls, api).toBeGreaterThanOrEqual(1);
    expect(parsed.promises.unhandledRejections).toEqual([expect.objectContaining({ message: 'card declined (43 digits)' })]);
    if (mode === 'debug') expect(parsed.promises.floating.length).toBeGreaterThanOrEqual(1);
    // The whole of stderr: loopwatch's lines and warnings, and Node's own rejection warning (which
    // prints the error's message and stack, and neither holds the secret).
    for (const [where, text] of [
      ['report', report],
      ['/metrics', metrics],
      ['stderr', result.stderr],
    ] as const) {
      expect.soft(text.includes('S3CR3T') || text.includes(token), `${where} holds the secret`).toBe(false);
    }
    expect(allLoopwatchCodes(result.stderr)).toEqual([]);
  });

  it('the report and the log file are owner-only (0600) even under umask 000', async () => {
    const dir = tempDir();
    const reportPath = path.join(dir, 'report.json');
    const logPath = path.join(dir, 'loopwatch.log');
    const script = path.join(FIXTURES, 'fault-umask.js');
    // A shell sets the umask before node starts, as a user's shell or service manager would.
    const child = spawn('/bin/sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, '--require', PRELOAD, script], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: undefined, LOOPWATCH_REPORT: reportPath, LOOPWATCH_LOG: logPath, OUT_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect(code).toBe(0);
    // The umask really was 000: a file the app created with the default mode is world-writable.
    expect(stdout).toBe('control file mode 666\n');
    expect(stderr).toBe('');
    const report = readReport(reportPath);
    // Its two stalls (a loaded machine can add one at start-up).
    expect(report.summary.stalls).toBeGreaterThanOrEqual(2);
    expect((fs.statSync(reportPath).mode & 0o777).toString(8)).toBe('600');
    expect(fs.readFileSync(logPath, 'utf8').match(/^loopwatch: event loop blocked/gm)).toHaveLength(report.summary.stalls);
    expect((fs.statSync(logPath).mode & 0o777).toString(8)).toBe('600');
    // Atomic writes leave no temporary file behind.
    expect(fs.readdirSync(dir).sort()).toEqual(['control.txt', 'loopwatch.log', 'report.json']);
  });

  it("never opens an inspector port: debug mode, a worker thread's stack captured, one listening socket (/metrics)", async () => {
    let sockets: ListeningSocket[] = [];
    let port = 0;
    const result = await runHeld(SOCKETS, { env: { LOOPWATCH_MODE: 'debug', LOOPWATCH_METRICS_PORT: '0' } }, async (held) => {
      await until(() => announcedPort(held.stderr()) !== null, 15_000, 'the metrics port on stderr');
      port = announcedPort(held.stderr())!;
      sockets = await socketsAfterStalls(held.child.pid!, port);
      await until(() => held.stdout().includes('main thread inspector url'), 15_000, 'the main thread to print inspector.url()');
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('worker thread inspector url: undefined\nmain thread inspector url: undefined\ndone\n');
    // The worker thread's stall carries its stack: it was read through the inspector, in process.
    const report = result.report;
    expect(report.mode).toBe('debug');
    const workerSite = report.sites.find((site: any) => site.threadId !== 0);
    expect(workerSite, JSON.stringify(report.sites)).toMatchObject({ file: path.join(FIXTURES, SOCKETS), line: blockingLine(SOCKETS), function: 'spin' });
    expect(report.sites.find((site: any) => site.threadId === 0)).toMatchObject({ line: blockingLine(SOCKETS) });
    expect(sockets).toEqual([{ address: '127.0.0.1', port }]);
    expect(allLoopwatchCodes(result.stderr)).toEqual([]);
  });
});
