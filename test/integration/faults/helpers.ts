/** Helpers for the fault tests: runs held open while the test looks, /metrics polling, listening sockets. */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { runFixture, type RunOptions, type RunResult, waitFor } from '../run-fixture';
import { httpGet, parseSamples, type Sample } from '../metrics/scrape';

export interface Held {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
}

/**
 * Runs a fixture that calls faults-helpers/hold.js with HOLD=1: `whileHeld` looks at the live
 * process (scrapes /metrics, reads /proc), then SIGUSR2 lets the app finish and exit by itself.
 */
export async function runHeld(script: string, options: RunOptions, whileHeld: (held: Held) => Promise<void>): Promise<RunResult> {
  const outcome: { failure?: unknown } = {};
  let finished = false;
  const result = await runFixture(script, {
    ...options,
    env: { ...options.env, HOLD: '1' },
    onSpawn: (child, reportPath) => {
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      options.onSpawn?.(child, reportPath);
      whileHeld({ child, stdout: () => stdout, stderr: () => stderr })
        .catch((error: unknown) => (outcome.failure = error))
        .finally(() => {
          finished = true;
          child.kill('SIGUSR2');
        });
    },
  });
  if (outcome.failure !== undefined) throw outcome.failure instanceof Error ? outcome.failure : new Error(JSON.stringify(outcome.failure));
  if (!finished) throw new Error(`the process ended before the test was done with it (code ${result.code}, signal ${result.signal}); stderr:\n${result.stderr}`);
  return result;
}

/** Scrapes http://127.0.0.1:port/metrics until `done` holds (15 s at most). */
export async function scrapeUntil(port: number, done: (samples: Sample[]) => boolean, host = '127.0.0.1'): Promise<{ body: string; samples: Sample[] }> {
  const deadline = Date.now() + 15_000;
  let last: string;
  for (;;) {
    try {
      const { status, body } = await httpGet(`http://${host}:${port}/metrics`);
      last = `${status}\n${body}`;
      if (status === 200) {
        const samples = parseSamples(body);
        if (done(samples)) return { body, samples };
      }
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`/metrics on port ${port} never reached the expected state; last answer:\n${last}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const sum = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((total, s) => total + s.value, 0);


/** Waits for `check` to hold on a live process's output, polling; never a fixed sleep. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await waitFor(() => (check() ? true : null), timeoutMs, what);
}

export interface ListeningSocket {
  address: string;
  port: number;
}

/**
 * The TCP sockets in LISTEN state that belong to process `pid` (Linux): the socket inodes among
 * /proc/<pid>/fd, looked up in /proc/<pid>/net/tcp and tcp6. Every thread of a process shares its
 * file descriptors, so a socket opened by a worker thread (an inspector port) is listed too. This
 * needs no tool (ss, netstat, lsof) and no second network interface, and names the exact bound
 * address, where "try to connect from another interface" depends on what interfaces exist.
 */
export function listeningSockets(pid: number): ListeningSocket[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // The descriptor was closed meanwhile.
    }
  }
  const found: ListeningSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1]!, fields[3]!, fields[9]!];
      if (state !== '0A' || !inodes.has(inode)) continue; // 0A: TCP_LISTEN
      const [hexAddress, hexPort] = local.split(':') as [string, string];
      found.push({ address: decodeAddress(hexAddress), port: parseInt(hexPort, 16) });
    }
  }
  return found;
}

/** /proc/net/tcp{,6} addresses: 32-bit words in host byte order (little-endian on x86 and arm64); IPv6 unabbreviated. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((word) => Buffer.from(word, 'hex').reverse());
  const bytes = Buffer.concat(words);
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}
