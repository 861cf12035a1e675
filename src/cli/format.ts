/** Small formatting helpers shared by the terminal and HTML reports. */
import * as path from 'node:path';
import type { Frame } from '../stack/frames';
import { readSourceLines } from '../stack/source';
import type { SiteView, StallView } from './load-report';

/** `830 ms`, `2.41 s`. */
export function ms(value: number): string {
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${Math.round(value)} ms`;
}

/** The path as the user would type it: relative to the working directory when inside it. */
export function displayPath(file: string, cwd: string): string {
  if (!path.isAbsolute(file)) return file;
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

export function location(frame: Pick<Frame, 'file' | 'line'>, cwd: string): string {
  return `${displayPath(frame.file, cwd)}:${frame.line}`;
}

/** This package's root, from dist/src/cli/: frames in its src/ or dist/ are loopwatch's own wrappers. */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');
const OWN_DIRS = [path.join(PACKAGE_ROOT, 'src') + path.sep, path.join(PACKAGE_ROOT, 'dist') + path.sep];

/** Frames that are not the app's (Node internals, dependencies, loopwatch's own sync-API wrappers) are shown dimmed. */
export function frameClass(frame: Frame): 'node' | 'dependency' | 'loopwatch' | 'app' {
  if (frame.file.startsWith('node:') || frame.file === '' || !path.isAbsolute(frame.file)) return 'node';
  if (OWN_DIRS.some((dir) => frame.file.startsWith(dir))) return 'loopwatch';
  return frame.file.split(/[\\/]/).includes('node_modules') ? 'dependency' : 'app';
}

export interface SourceExcerpt {
  /** 1-based line number and text, the blocking line included. */
  lines: Array<{ number: number; text: string; current: boolean }>;
}

/** The blocking line with `context` lines either side, from disk; null when unreadable. */
export function excerpt(frame: Pick<Frame, 'file' | 'line'>, context = 1): SourceExcerpt | null {
  const lines = readSourceLines(frame.file);
  if (lines === null || frame.line < 1 || frame.line > lines.length) return null;
  const out: SourceExcerpt['lines'] = [];
  for (let n = Math.max(1, frame.line - context); n <= Math.min(lines.length, frame.line + context); n++) {
    out.push({ number: n, text: lines[n - 1]!, current: n === frame.line });
  }
  return { lines: out };
}

/** Splits advice into prose and ``` fenced code blocks. */
export function adviceParts(text: string): Array<{ code: boolean; text: string }> {
  const parts: Array<{ code: boolean; text: string }> = [];
  const pieces = text.split(/```\n?/);
  pieces.forEach((piece, index) => {
    const trimmed = index % 2 === 1 ? piece.replace(/\n$/, '') : piece.trim();
    if (trimmed !== '') parts.push({ code: index % 2 === 1, text: trimmed });
  });
  return parts;
}

/** Stalls at a site, longest first: the worst occurrence and its samples. */
export function stallsAt<T extends { site: Frame | null; durationMs: number; phase?: string }>(stalls: readonly T[], site: Pick<Frame, 'file' | 'line'> & { phase?: string }): T[] {
  return stalls
    .filter((stall) => stall.site !== null && stall.site.file === site.file && stall.site.line === site.line && (site.phase === undefined || stall.phase === site.phase))
    .sort((a, b) => b.durationMs - a.durationMs);
}

/**
 * Why stalls had no stack, most frequent first (`2 the stall ended before the watchdog saw it;
 * 1 stack capture rate-limited ...`); reports from before reasons were counted get the usual causes.
 */
export function noStackReasons(unattributed: { reasons: Record<string, number> }): string {
  const entries = Object.entries(unattributed.reasons).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return 'stack capture rate-limited, unavailable, or the stall ended first';
  return entries.map(([reason, count]) => `${count} ${reason}`).join('; ');
}

/** ` · in 3 processes`, for a site of a merged report (src/cli/merge.ts); nothing otherwise. */
export function inProcesses(site: { processes?: Record<string, number> }): string {
  if (site.processes === undefined) return '';
  const count = Object.keys(site.processes).length;
  return ` · in ${count} process${count === 1 ? '' : 'es'}`;
}

/**
 * `The loop was saturated for 2.09 s (1 period, no stall needed): 96% of it at src/render.js:8 (render), 4% at a.js:3 (f)`;
 * null when it never was.
 */
export function busyNote(busy: { periods: number; totalMs: number; sites: Array<Pick<Frame, 'file' | 'line' | 'function'> & { busyMs: number }> }, cwd: string): string | null {
  if (busy.totalMs <= 0) return null;
  const share = (part: number): string => `${Math.round((part / busy.totalMs) * 100)}%`;
  const shown = busy.sites.slice(0, 3).map((site) => `${share(site.busyMs)} at ${location(site, cwd)} (${site.function})`);
  const more = busy.sites.length > 3 ? ` and ${busy.sites.length - 3} more site${busy.sites.length === 4 ? '' : 's'}` : '';
  const where = shown.length > 0 ? `: ${shown.join(', ')}${more}` : ': no sample named a site';
  return `The loop was saturated for ${ms(busy.totalMs)} (${busy.periods} period${busy.periods === 1 ? '' : 's'}, every callback under the threshold)${where}`;
}

/** `3 stalls at ignored sites (LOOPWATCH_IGNORE_SITES, 1.20 s): src/migrate.js:12 ×2, a.js:1 ×1`; null when there were none. */
export function ignoredNote(ignored: { count: number; totalMs: number; bySite: Record<string, number> }): string | null {
  if (ignored.count === 0) return null;
  const sites = Object.entries(ignored.bySite).sort((a, b) => b[1] - a[1]);
  const shown = sites.slice(0, 3).map(([site, count]) => `${site} ×${count}`);
  const more = sites.length > 3 ? ` and ${sites.length - 3} more` : '';
  return `${ignored.count} stall${ignored.count === 1 ? '' : 's'} at ignored sites (LOOPWATCH_IGNORE_SITES, ${ms(ignored.totalMs)}): ${shown.join(', ')}${more}`;
}

/** `GET /users/:id ×3, POST /orders ×1`: a site's stalls by request route, most first; null without any. */
export function routesNote(site: { routes?: Record<string, number> }, max = 5): string | null {
  const entries = Object.entries(site.routes ?? {}).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return null;
  const shown = entries.slice(0, max).map(([route, count]) => `${route} ×${count}`);
  return entries.length > max ? `${shown.join(', ')}, and ${entries.length - max} more` : shown.join(', ');
}

/**
 * `blocked 812 ms in GET /users/:id; 37 requests waited; trace 4bf9...`: the site's longest stall
 * that happened in a request or a trace, or delayed requests; null when none did. A guessed
 * request reads `probably in`.
 */
export function worstRequestStall(site: Pick<SiteView, 'file' | 'line' | 'phase'>, stalls: readonly StallView[]): string | null {
  const stall = stallsAt(stalls, site).find((each) => each.request !== undefined || each.trace !== undefined || (each.inFlight ?? 0) > 0);
  if (stall === undefined) return null;
  const request = stall.request === undefined ? '' : ` ${stall.request.exact ? 'in' : 'probably in'} ${stall.request.method} ${stall.request.route}`;
  const waited = (stall.inFlight ?? 0) > 0 ? `; ${stall.inFlight} request${stall.inFlight === 1 ? '' : 's'} waited` : '';
  const trace = stall.trace === undefined ? '' : `; trace ${stall.trace.traceId}`;
  return `blocked ${ms(stall.durationMs)}${request}${waited}${trace}`;
}
