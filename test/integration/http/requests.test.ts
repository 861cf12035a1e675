/**
 * Which request a stall happened in, and how many it delayed (docs/report.md, "Requests"), run for
 * real: plain node:http, Express and Fastify servers that block in a route while other requests
 * wait, an app with no HTTP, 10,000 distinct ids, requests that never finish, and an app with
 * AsyncLocalStorage of its own. Express and Fastify are devDependencies.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture } from '../run-fixture';

/** Low, so the 300 ms blocks are stalls even when the machine is slow; the tests look for the 300 ms ones only. */
const env = { LOOPWATCH_THRESHOLD_MS: '100' };

interface StallJson {
  durationMs: number;
  site: { file: string; line: number } | null;
  request?: { method: string; route: string; exact: boolean };
  inFlight?: number;
}

/**
 * Whether LOOPWATCH_EXACT_REQUESTS can keep its AsyncLocalStorage (src/http/store.ts): Node 24 and
 * later. Without it, or before Node 24, every request is a guess.
 */
const STORE_POSSIBLE = Number(process.versions.node.split('.')[0]) >= 24;

/** The stall at the fixture's blocking line. */
function blockingStall(report: { stalls: StallJson[] }, fixture: string, marker?: string): StallJson {
  const file = path.join(FIXTURES, fixture);
  const line = blockingLine(fixture, marker);
  const stall = report.stalls.find((each) => each.site?.file === file && each.site.line === line);
  expect(stall, JSON.stringify(report.stalls, null, 1)).toBeDefined();
  return stall!;
}

describe('the request a stall happened in', () => {
  it('node:http: the folded path, and the requests that waited, in the report, the log line and the metrics', async () => {
    const result = await runFixture('http-plain.js', { env: { ...env, WAITERS: '6', METRICS: '1' } });
    expect(result.code, result.stderr).toBe(0);
    const stall = blockingStall(result.report, 'http-plain.js');
    // By default a guess from timing, and it says so.
    const exact = false;
    expect(stall.request).toEqual({ method: 'GET', route: '/users/:id/report', exact });
    expect(stall.inFlight).toBeGreaterThanOrEqual(6);
    const site = result.report.sites.find((each: { line: number }) => each.line === blockingLine('http-plain.js'));
    expect(site.routes).toEqual({ 'GET /users/:id/report': 1 });
    expect(result.stderr).toMatch(
      new RegExp(`event loop blocked \\d+ ms at test/integration/fixtures/http-plain\\.js:\\d+ \\(\\(anonymous\\)\\) ${exact ? 'in' : 'probably in'} GET /users/:id/report; \\d+ requests waited`),
    );
    // Registered after the stall: replayed from the feed.
    expect(result.stdout).toMatch(/loopwatch_eventloop_route_blocked_seconds_total\{route="GET \/users\/:id\/report"\} 0\.[2-9]/);
    const delayed = Number(/loopwatch_eventloop_delayed_requests_total\{route="GET \/users\/:id\/report"\} (\d+)/.exec(result.stdout)?.[1]);
    expect(delayed).toBeGreaterThanOrEqual(6);
  });

  it('LOOPWATCH_EXACT_REQUESTS on Node 24 and later: the native capture reads a CPU stall\'s request exactly', async () => {
    const result = await runFixture('http-plain.js', { env: { ...env, LOOPWATCH_EXACT_REQUESTS: '1' } });
    expect(result.code, result.stderr).toBe(0);
    const stall = blockingStall(result.report, 'http-plain.js');
    expect(stall.request).toEqual({ method: 'GET', route: '/users/:id/report', exact: STORE_POSSIBLE && result.report.capture === 'native' });
    expect(stall.inFlight).toBeGreaterThanOrEqual(6);
  });

  it('LOOPWATCH_EXACT_REQUESTS on Node 24 and later: a slow sync call names its request exactly, with no stack capture at all', async () => {
    const result = await runFixture('http-plain.js', { env: { ...env, SYNC: '1', LOOPWATCH_CAPTURE: 'off', LOOPWATCH_EXACT_REQUESTS: '1' } });
    expect(result.code, result.stderr).toBe(0);
    const stall = blockingStall(result.report, 'http-plain.js', 'SYNC LINE');
    expect(stall.request).toEqual({ method: 'GET', route: '/users/:id/report', exact: STORE_POSSIBLE });
    expect(stall.inFlight).toBeGreaterThanOrEqual(6);
  });

  it.each(['express', 'express4'])('Express (%s): the route template under its router prefix', async (express) => {
    const result = await runFixture('http-express.js', { env: { ...env, EXPRESS: express } });
    expect(result.code, result.stderr).toBe(0);
    const stall = blockingStall(result.report, 'http-express.js');
    expect(stall.request).toMatchObject({ method: 'GET', route: '/api/users/:userId/orders/:orderId' });
    expect(stall.inFlight).toBeGreaterThanOrEqual(2);
  });

  it('Fastify: the route template with its plugin prefix', async () => {
    const result = await runFixture('http-fastify.js', { env });
    expect(result.code, result.stderr).toBe(0);
    const stall = blockingStall(result.report, 'http-fastify.js');
    expect(stall.request).toMatchObject({ method: 'GET', route: '/v1/items/:itemId' });
    expect(stall.inFlight).toBeGreaterThanOrEqual(2);
    expect(result.stderr).toContain('in GET /v1/items/:itemId; 2 requests waited');
  });

  it('LOOPWATCH_REQUESTS=off: an HTTP app gets no request fields and no routes', async () => {
    const result = await runFixture('http-plain.js', { env: { ...env, WAITERS: '6', LOOPWATCH_REQUESTS: 'off' } });
    expect(result.code, result.stderr).toBe(0);
    const stall = blockingStall(result.report, 'http-plain.js');
    expect(stall).toBeDefined();
    expect(stall).not.toHaveProperty('request');
    expect(stall).not.toHaveProperty('inFlight');
    for (const site of result.report.sites) expect(site).not.toHaveProperty('routes');
    expect(result.stderr).not.toContain('requests waited');
  });

  it('an app with no HTTP: no request, no inFlight, no routes, and the log line as before', async () => {
    const result = await runFixture('cpu-timer.js', { env });
    expect(result.code).toBe(0);
    const stall = blockingStall(result.report, 'cpu-timer.js');
    expect(stall).not.toHaveProperty('request');
    expect(stall).not.toHaveProperty('inFlight');
    for (const site of result.report.sites) expect(site).not.toHaveProperty('routes');
    expect(result.stderr).toMatch(/cpu-timer\.js:\d+ \(spin\)\n/);
  });

  it('10,000 distinct ids: one folded route; routes in the report and route labels stay bounded', async () => {
    const result = await runFixture('http-many-ids.js', { env: { LOOPWATCH_THRESHOLD_MS: '20', LOOPWATCH_METRICS_MAX_SITES: '5' }, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    const routes = new Set<string>();
    for (const site of result.report.sites) {
      expect(Object.keys(site.routes ?? {}).length).toBeLessThanOrEqual(21);
      for (const route of Object.keys(site.routes ?? {})) routes.add(route);
    }
    for (const stall of result.report.stalls as StallJson[]) if (stall.request !== undefined) routes.add(`${stall.request.method} ${stall.request.route}`);
    expect(routes.has('GET /users/:id')).toBe(true);
    expect([...routes].filter((route) => route.startsWith('GET /users/'))).toEqual(['GET /users/:id']);
    const labels = [...result.stdout.matchAll(/^loopwatch_eventloop_route_blocked_seconds_total\{route="([^"]*)"\}/gm)].map((match) => match[1]);
    expect(labels).toContain('GET /users/:id');
    expect(labels.length).toBeLessThanOrEqual(6);
    expect(labels).toContain('other');
    expect(Number(/^loopwatch_routes_overflow_total (\d+)/m.exec(result.stdout)?.[1])).toBeGreaterThan(0);
    // The report stays small: LOOPWATCH_MAX_STALLS stalls and MAX_SITES sites, whatever the ids.
    expect(JSON.stringify(result.report).length).toBeLessThan(500_000);
  });

  it('requests that never finish are not counted once their connections closed, and hold nothing', async () => {
    const result = await runFixture('http-never-finish.js', { env });
    expect(result.code, result.stderr).toBe(0);
    const stall = blockingStall(result.report, 'http-never-finish.js');
    expect(stall.request).toMatchObject({ method: 'GET', route: '/block' });
    // 50 abandoned requests were never answered; only the one whose connection is still open waits.
    expect(stall.inFlight).toBe(1);
  });

  it("leaves the app's own AsyncLocalStorage and its stacks as they are without loopwatch, with its own store too", async () => {
    const [without, withAgent, exact] = await Promise.all([
      runFixture('http-app-als.js', { withoutAgent: true }),
      runFixture('http-app-als.js', { env }),
      runFixture('http-app-als.js', { env: { ...env, LOOPWATCH_EXACT_REQUESTS: '1' } }),
    ]);
    expect(without.code).toBe(0);
    expect(withAgent.code, withAgent.stderr).toBe(0);
    const seen = JSON.parse(without.stdout) as string[];
    expect(seen).toContain('/a run=/a early=/a');
    expect(seen.find((line) => line.startsWith('sync: '))).toMatch(/parserOnIncoming/);
    expect(JSON.parse(withAgent.stdout)).toEqual(seen);
    expect(JSON.parse(exact.stdout)).toEqual(seen);
  });
});
