/**
 * node:cluster support. Workers inherit LOOPWATCH_METRICS_PORT but never listen on it: each pushes
 * its metrics to the primary over the cluster IPC channel once a second, and the primary serves one
 * `/metrics` with every series labelled `worker`. Not prom-client's AggregatorRegistry: it sums or
 * averages across workers by default (a stalled worker's max delay disappears in the mean), and
 * needs a request/response round trip with a 5 s timeout on every scrape.
 *
 * Messages are plain objects with a `__loopwatch` key: an app that listens to worker messages can
 * ignore them by that key. Nothing here listens on the worker's `process`, which would ref the IPC
 * channel and keep workers alive.
 */
import type { Cluster, Worker } from 'node:cluster';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { prom } from './prom';
import type { MetricsSource } from './server';

export const MESSAGE_KEY = '__loopwatch';
const PUSH_MS = 1000;

type Family = MetricObjectWithValues<MetricValue<string>>;
interface PushMessage {
  [MESSAGE_KEY]: 'metrics@1';
  families: Family[];
}

/** Gauges that must keep their worst value between two scrapes, whatever the push rate. */
const MAX_BETWEEN_SCRAPES = new Set(['loopwatch_eventloop_delay_seconds', 'loopwatch_eventloop_delay_max_seconds']);

export function isPushMessage(message: unknown): message is PushMessage {
  return typeof message === 'object' && message !== null && (message as Record<string, unknown>)[MESSAGE_KEY] === 'metrics@1';
}

/** In a cluster worker: pushes the registry to the primary every second. Returns stop. */
export function pushToPrimary(registry: Registry, onError: (message: string) => void): () => void {
  let sending = false;
  const timer = setInterval(() => {
    if (sending || typeof process.send !== 'function' || !process.connected) return;
    sending = true;
    registry
      .getMetricsAsJSON()
      .then((families) => {
        const message: PushMessage = { [MESSAGE_KEY]: 'metrics@1', families };
        process.send?.(message, undefined, {}, () => (sending = false));
      })
      .catch((error: Error) => {
        sending = false;
        onError(`cannot push metrics to the cluster primary (${error.message})`);
      });
  }, PUSH_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Folds a new push into the previous one not yet scraped: delay gauges keep their maximum. */
export function mergePush(previous: Family[] | undefined, next: Family[]): Family[] {
  if (previous === undefined) return next;
  return next.map((family) => {
    if (!MAX_BETWEEN_SCRAPES.has(family.name)) return family;
    const before = previous.find((old) => old.name === family.name);
    const values = family.values.map((value) => {
      const match = before?.values.find((old) => sameLabels(old.labels, value.labels));
      return match && match.value > value.value ? { ...value, value: match.value } : value;
    });
    return { ...family, values };
  });
}

/** Adds `worker="<id>"` to every series of a family list. */
export function labelWorker(families: Family[], worker: string): Family[] {
  return families.map((family) => ({
    ...family,
    // Each worker's series are distinct by label: nothing is ever summed or averaged.
    aggregator: 'first',
    values: family.values.map((value) => ({ ...value, labels: { ...value.labels, worker } })),
  }));
}

/** In the primary: a metrics source serving its own registry plus every live worker's last push. */
export function collectFromWorkers(own: Registry): { source: MetricsSource; stop(): void } {
  const latest = new Map<number, { families: Family[]; scraped: boolean }>();
  const onMessage = (worker: Worker, message: unknown): void => {
    if (!isPushMessage(message)) return;
    const previous = latest.get(worker.id);
    const families = previous && !previous.scraped ? mergePush(previous.families, message.families) : message.families;
    latest.set(worker.id, { families, scraped: false });
  };
  const onExit = (worker: Worker): void => void latest.delete(worker.id);
  // Required here: node:cluster is ~6 ms of start-up, for the processes that serve /metrics only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const primary = require('node:cluster') as Cluster;
  primary.on('message', onMessage);
  primary.on('exit', onExit);
  const source: MetricsSource = {
    contentType: own.contentType,
    async metrics() {
      // One collection per scrape: the event-loop gauges measure "since the previous collection",
      // and a second one right after the first read 1 for utilization (the loop was busy with the
      // scrape in between) and an empty delay histogram.
      if (latest.size === 0) return own.metrics();
      const ownFamilies = (await own.getMetricsAsJSON()) as Family[];
      const all = [labelWorker(ownFamilies, 'primary')];
      for (const [id, entry] of latest) {
        all.push(labelWorker(entry.families, String(id)));
        entry.scraped = true;
      }
      return prom().AggregatorRegistry.aggregate(all).metrics();
    },
  };
  return {
    source,
    stop() {
      primary.removeListener('message', onMessage);
      primary.removeListener('exit', onExit);
    },
  };
}

function sameLabels(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
