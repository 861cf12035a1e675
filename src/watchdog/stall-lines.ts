/**
 * The watchdog's log lines, as text for people and fields for the JSON log format. Pure: the
 * watchdog decides when to write them (rate-limited, see AgentLog).
 */
import { shortLocation } from '../stack/attribution';
import type { SlowCall } from '../feature';
import type { LogFields } from '../log';
import type { StallRecord } from '../report/aggregate';
import type { Frame } from '../stack/frames';

export interface LogLine {
  text: string;
  fields: LogFields;
}

export function stallLine(record: StallRecord, cwd: string): LogLine {
  const ms = Math.round(record.durationMs);
  const inApi = record.api === null ? '' : record.apiCallsShort === true ? ` in short ${record.api} calls` : ` in ${record.api} (${Math.round(record.apiCallMs ?? 0)} ms)`;
  const doing = record.kind === 'module-loading' ? ' loading modules' : inApi;
  const when = record.phase === 'startup' ? ' during start-up' : '';
  const text =
    record.site !== null
      ? `event loop blocked ${ms} ms${when}${doing} at ${where(record.site, cwd)}${inThread(record.threadId)}${requestText(record)}${elsewhere(record, cwd)}`
      : `event loop blocked ${ms} ms${when}${record.kind === 'module-loading' ? doing : ''}${inThread(record.threadId)}${requestText(record)} (no stack: ${record.noStackReason ?? 'unknown'})`;
  return {
    text,
    fields: {
      event: 'stall',
      durationMs: ms,
      threadId: record.threadId,
      phase: record.phase,
      api: record.api,
      kind: record.kind,
      ...siteFields(record.site),
      ...(record.request !== undefined ? { method: record.request.method, route: record.request.route, routeExact: record.request.exact } : {}),
      ...(record.inFlight !== undefined ? { inFlight: record.inFlight } : {}),
    },
  };
}

/**
 * ` in GET /users/:id; 37 requests waited`. A guessed request says so: `probably in`.
 */
export function requestText(record: Pick<StallRecord, 'request' | 'inFlight'>): string {
  const request = record.request;
  const inRequest = request === undefined ? '' : ` ${request.exact ? 'in' : 'probably in'} ${request.method} ${request.route}`;
  const waited = record.inFlight === undefined || record.inFlight === 0 ? '' : `; ${record.inFlight} request${record.inFlight === 1 ? '' : 's'} waited`;
  return inRequest + waited;
}

/** Debug mode logs every slow sync call, like asyncio debug mode logs every slow callback. */
export function slowCallLine(threadId: number, call: SlowCall, site: Frame | null, cwd: string): LogLine {
  const at = site !== null ? ` at ${where(site, cwd)}` : '';
  return {
    text: `slow sync call ${call.api} took ${Math.round(call.durationMs)} ms${at}${inThread(threadId)}`,
    fields: { event: 'slow-call', threadId, api: call.api, durationMs: Math.round(call.durationMs), ...siteFields(site) },
  };
}

export interface Hang {
  elapsedMs: number;
  threadId: number;
  /** The sync API the thread is inside right now, if any. */
  inApi: string | null;
  site: Frame | null;
  /** Where the report with the live stack was just written, if anywhere. */
  reportPath: string | null;
}

export function hangLine(hang: Hang, cwd: string): LogLine {
  const elapsedMs = Math.round(hang.elapsedMs);
  const inApi = hang.inApi !== null ? ` inside ${hang.inApi}` : '';
  const at = hang.site !== null ? ` at ${where(hang.site, cwd)}` : '';
  const written = hang.reportPath !== null ? `; report written to ${hang.reportPath}` : '';
  return {
    text: `event loop blocked for ${elapsedMs} ms and still blocked${inApi}${at}${inThread(hang.threadId)}${written}`,
    fields: { event: 'hang', elapsedMs, threadId: hang.threadId, ...siteFields(hang.site) },
  };
}

/** `; 45 ms of it in JSON.stringify at app.js:12`: the parts measured at other lines. */
function elsewhere(record: StallRecord, cwd: string): string {
  return (record.elsewhere ?? []).map((part) => `; ${Math.round(part.durationMs)} ms of it in ${part.api} at ${shortLocation(part.site, cwd)}`).join('');
}

function where(site: Frame, cwd: string): string {
  return `${shortLocation(site, cwd)} (${site.function})`;
}

/** Names the thread; the main thread's lines stay as they always were. */
function inThread(threadId: number): string {
  return threadId === 0 ? '' : ` in worker thread ${threadId}`;
}

function siteFields(site: Frame | null): LogFields {
  return site === null ? { file: null, line: null } : { file: site.file, line: site.line, column: site.column, function: site.function };
}

/** The loop turned busy: no stall, but little room left for anything else. */
export function busyStartLine(utilisation: number, windowMs: number, thresholdMs: number): LogLine {
  const percent = Math.round(utilisation * 100);
  return {
    text: `event loop ${percent}% busy over the last ${formatSeconds(windowMs)} with no callback over ${thresholdMs} ms: sampling where (the report's busy section)`,
    fields: { event: 'busy-start', utilisation: Math.round(utilisation * 1000) / 1000, windowMs },
  };
}

/** The loop is calm again: how long it was busy, and where most of that time went. */
export function busyEndLine(busyMs: number, top: { site: Frame; ms: number } | null, cwd: string): LogLine {
  const share = top !== null && busyMs > 0 ? Math.round((top.ms / busyMs) * 100) : 0;
  const most = top !== null ? `; ${share}% of it at ${where(top.site, cwd)}` : '';
  return {
    text: `event loop was busy for ${formatSeconds(busyMs)}${most}`,
    fields: { event: 'busy-end', busyMs: Math.round(busyMs), share: top !== null ? share : null, ...siteFields(top?.site ?? null) },
  };
}

function formatSeconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 100) / 10} s`;
}
