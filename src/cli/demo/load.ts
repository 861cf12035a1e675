/**
 * Built-in load for the demo: plain http requests from a few concurrent clients, round-robin over
 * the routes, for a fixed time. No load-testing dependency: the point is to exercise the routes,
 * not to measure throughput.
 */
import * as http from 'node:http';

export interface LoadProgress {
  elapsedMs: number;
  requests: number;
  errors: number;
  slowestMs: number;
}

export interface LoadOptions {
  port: number;
  routes: readonly string[];
  durationMs: number;
  concurrency: number;
  onProgress(progress: LoadProgress): void;
}

export async function driveLoad(options: LoadOptions): Promise<LoadProgress> {
  const started = Date.now();
  const progress: LoadProgress = { elapsedMs: 0, requests: 0, errors: 0, slowestMs: 0 };
  let next = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const ticker = setInterval(() => {
    progress.elapsedMs = Date.now() - started;
    options.onProgress(progress);
  }, 250);
  const client = async (): Promise<void> => {
    while (Date.now() - started < options.durationMs) {
      const route = options.routes[next++ % options.routes.length]!;
      const before = Date.now();
      try {
        await get(options.port, route, agent);
        progress.requests++;
      } catch {
        progress.errors++;
      }
      progress.slowestMs = Math.max(progress.slowestMs, Date.now() - before);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, client));
  } finally {
    clearInterval(ticker);
    agent.destroy();
  }
  progress.elapsedMs = Date.now() - started;
  options.onProgress(progress);
  return progress;
}

function get(port: number, route: string, agent: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: route, agent, timeout: 30_000 }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`))));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}
