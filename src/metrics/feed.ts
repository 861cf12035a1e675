/**
 * What the agent tells the process-wide metric set (registry.ts), without loading prom-client:
 * that set is created only when something reads metrics (LOOPWATCH_METRICS_PORT, or the app's
 * registerMetrics), and most processes never do. Until then the live counters' source is noted
 * here and stalls wait here, to be replayed when the set is created. prom-client is ~40 ms of a
 * process's start-up otherwise. On globalThis, like the set, so a second copy of the package finds it.
 */
import type { BusyEvent, LiveStats, StallEvent } from '../feature';
import type { MetricSet, MetricSetConfig } from './registry';

/** Stalls kept for a metric set not created yet: >= 100 ms each, this is over 16 minutes of stalls. */
export const MAX_PENDING_STALLS = 10_000;

export interface MetricsFeed {
  /** The agent's settings; the metric set is created with them. */
  readonly config: MetricSetConfig;
  stats: LiveStats | null;
  mode: string;
  pending: StallEvent[];
  /** Busy time waiting likewise (at most MAX_PENDING_STALLS too): a few per second of a busy loop. */
  pendingBusy: BusyEvent[];
  /** The metric set, once created. */
  set: MetricSet | null;
}

const FEED = Symbol.for('loopwatch.metrics.feed');
type GlobalWithFeed = typeof globalThis & { [FEED]?: MetricsFeed };

/** The feed, created with the first caller's config (the agent's, when the preload runs first). */
export function metricsFeed(config?: MetricSetConfig): MetricsFeed | undefined {
  const holder = globalThis as GlobalWithFeed;
  if (config !== undefined) holder[FEED] ??= { config, stats: null, mode: 'unstarted', pending: [], pendingBusy: [], set: null };
  return holder[FEED];
}

export function feedStall(feed: MetricsFeed, stall: StallEvent): void {
  if (feed.set !== null) feed.set.recordStall(stall);
  else if (feed.pending.length < MAX_PENDING_STALLS) feed.pending.push(stall);
}

export function feedBusy(feed: MetricsFeed, busy: BusyEvent): void {
  if (feed.set !== null) feed.set.recordBusy(busy);
  else if (feed.pendingBusy.length < MAX_PENDING_STALLS) feed.pendingBusy.push(busy);
}

export function feedSource(feed: MetricsFeed, stats: LiveStats | null, mode: string): void {
  feed.stats = stats;
  feed.mode = mode;
  feed.set?.setSource(stats, mode);
}

/** Hands a new metric set what the feed holds, and what comes next. */
export function attachFeed(feed: MetricsFeed, set: MetricSet): void {
  set.setSource(feed.stats, feed.mode);
  for (const stall of feed.pending) set.recordStall(stall);
  for (const busy of feed.pendingBusy) set.recordBusy(busy);
  feed.pending = [];
  feed.pendingBusy = [];
  feed.set = set;
}
