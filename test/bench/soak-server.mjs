// The service test/bench/soak.mjs keeps under load for minutes: an HTTP JSON service whose request
// path blocks the event loop once a second, each time at a line it never blocked at before (2,000
// generated functions), with a slow zlib.gzipSync and JSON.parse now and then, and a steady trickle
// of unhandled and late-handled promise rejections: every table loopwatch keeps gets new entries
// for the whole run. The parent asks for memory samples over IPC.
//
//   node --expose-gc [--require <repo>/preload/index.js] soak-server.mjs <scratch dir>
import * as fs from 'node:fs';
import http from 'node:http';
import * as inspector from 'node:inspector';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { setInterval } from 'node:timers';
import zlib from 'node:zlib';

const scratchDir = process.argv[2];
const SITE_COUNT = 2000;
const STALL_EVERY_MS = 1000;
const REJECTION_EVERY_MS = 500;
/** Distinct rejection messages, more than the 50 loopwatch keeps, so its table overflows. */
const REJECTION_REASONS = 200;

// One function per line: loopwatch keys a site by file and line, so each is a site of its own.
const sitesFile = path.join(scratchDir, 'stall-sites.cjs');
const siteLines = Array.from(
  { length: SITE_COUNT },
  (_, i) => `  function stallSite${i}(ms) { const end = Date.now() + ms; let spins = 0; while (Date.now() < end) spins += 1; return spins; },`,
);
fs.writeFileSync(sitesFile, `'use strict';\nmodule.exports = [\n${siteLines.join('\n')}\n];\n`);
const stallSites = createRequire(import.meta.url)(sitesFile);

// A 5.5 MB JSON document: JSON.parse of it takes ~40 ms (a slow call, not a stall), gzip at level 9
// of its first 3 MB ~170 ms (a stall inside a sync API). Kept for the whole run, in both variants.
const customers = Array.from({ length: 60_000 }, (_, i) => ({ id: i, name: `customer-${i}`, email: `c${i}@example.com`, total: (i * 37) % 1000, tags: [`a${i % 13}`, `b${i % 7}`] }));
const importDocument = JSON.stringify(customers);
const exportBody = Buffer.from(importDocument.slice(0, 3 * 2 ** 20));

let stallsTriggered = 0;
let stallDue = false;
let nextSite = 0;
setInterval(() => {
  stallDue = true;
}, STALL_EVERY_MS);

function blockTheLoop() {
  const n = stallsTriggered++;
  if (n % 10 === 4) zlib.gzipSync(exportBody, { level: 9 });
  else if (n % 10 === 9) JSON.parse(importDocument);
  else stallSites[nextSite++ % SITE_COUNT](120 + ((n * 53) % 181));
}

const wait = () => new Promise((resolve) => setImmediate(resolve));
async function loadOrders(customerId) {
  await wait();
  return Array.from({ length: 5 }, (_, i) => ({ id: i, owner: customerId, total: i * 3 }));
}
const server = http.createServer(async (request, response) => {
  // The stall runs on a request's path, as in a real service, but on a timer's schedule: the same
  // number of stalls in both variants whatever their throughput.
  if (stallDue) {
    stallDue = false;
    blockTheLoop();
  }
  const customerId = Number(request.url.slice(1)) || 1;
  const orders = await loadOrders(customerId);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ customer: customers[customerId], orders }));
});

async function chargeCard(order) {
  await wait();
  throw new Error(`card declined for order ${order}`);
}
// A service that logs its rejections instead of crashing on them, as long-running ones do.
let unhandledRejections = 0;
let rejectionsHandledLate = 0;
process.on('unhandledRejection', () => (unhandledRejections += 1));
process.on('rejectionHandled', () => (rejectionsHandledLate += 1));
let rejectionNumber = 0;
setInterval(() => {
  const n = rejectionNumber++;
  void chargeCard(n % REJECTION_REASONS);
  if (n % 4 === 0) {
    const late = chargeCard('awaiting retry');
    setTimeout(() => late.catch(() => undefined), 1000);
  }
}, REJECTION_EVERY_MS);

/**
 * The watchdog worker's heap, after a full GC there too, through an in-process inspector session
 * on this thread: its NodeWorker domain attaches to every worker thread (the watchdog is the one
 * running loopwatch's watchdog/worker.js) and relays commands to it. Works on every Node version,
 * where worker.getHeapStatistics() is Node >= 22.16 and cannot collect garbage first. Without the
 * agent there is no watchdog and this answers null.
 */
function watchdogHeap() {
  const session = new inspector.Session();
  session.connect();
  let watchdogSession = null;
  const replies = new Map();
  let nextId = 1;
  session.on('NodeWorker.attachedToWorker', ({ params }) => {
    if (params.workerInfo.url.endsWith(path.join('watchdog', 'worker.js'))) watchdogSession = params.sessionId;
  });
  session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
    const reply = JSON.parse(params.message);
    replies.get(reply.id)?.(reply.result);
    replies.delete(reply.id);
  });
  session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  const inWatchdog = (method) =>
    new Promise((resolve) => {
      const id = nextId++;
      replies.set(id, resolve);
      session.post('NodeWorker.sendMessageToWorker', { sessionId: watchdogSession, message: JSON.stringify({ id, method }) });
    });
  return async () => {
    if (watchdogSession === null) return null;
    await inWatchdog('HeapProfiler.collectGarbage');
    const { usedSize, totalSize } = await inWatchdog('Runtime.getHeapUsage');
    return { used: usedSize, total: totalSize };
  };
}
const readWatchdogHeap = watchdogHeap();

async function sample() {
  // After a full collection in both isolates, heap numbers are what each retains, not garbage
  // waiting for a GC, and RSS is read after both.
  const watchdog = await readWatchdogHeap();
  globalThis.gc();
  // heapTotal and external say where RSS that heapUsed does not explain went: V8 pages kept, or
  // memory outside the JS heap.
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return {
    rss,
    heapUsed,
    heapTotal,
    external,
    watchdogHeapUsed: watchdog?.used ?? null,
    watchdogHeapTotal: watchdog?.total ?? null,
    stallsTriggered,
    unhandledRejections,
    rejectionsHandledLate,
  };
}

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'sample') void sample().then((result) => process.send(result));
  if (message === 'stop') server.close(() => process.exit(0));
});
