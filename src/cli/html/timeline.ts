/**
 * The stall timeline: one bar per stall kept in the report, placed at the moment it began, as tall
 * as it was long, coloured by kind, linking to its site. Pure SVG: no script, no network.
 */
import type { StallKind } from '../../stall-kind';
import { esc } from './escape';
import { kindColor } from './kinds';
import { location, ms } from '../format';
import type { ReportView, SiteView } from '../load-report';

const WIDTH = 1000;
const HEIGHT = 170;
const PAD_LEFT = 60;
const PAD_BOTTOM = 22;

export function renderTimeline(report: ReportView, siteIndex: (stall: ReportView['stalls'][number]) => number, cwd: string): string {
  const start = Date.parse(report.startedAt);
  const starts = report.stalls.map((stall) => Date.parse(stall.at));
  const end = Math.max(Date.parse(report.writtenAt), ...report.stalls.map((stall, i) => starts[i]! + stall.durationMs));
  const span = Math.max(1, end - start);
  const maxMs = Math.max(report.thresholdMs * 2, ...report.stalls.map((stall) => stall.durationMs));
  const plotW = WIDTH - PAD_LEFT - 8;
  const plotH = HEIGHT - PAD_BOTTOM - 10;
  const x = (t: number): number => PAD_LEFT + ((t - start) / span) * plotW;
  const y = (duration: number): number => 10 + plotH - (duration / maxMs) * plotH;
  const parts: string[] = [];
  for (const fraction of [0, 0.5, 1]) {
    const value = maxMs * fraction;
    parts.push(`<line class="axis" x1="${PAD_LEFT}" x2="${WIDTH - 8}" y1="${y(value)}" y2="${y(value)}"/>`);
    parts.push(`<text x="${PAD_LEFT - 6}" y="${y(value) + 4}" text-anchor="end">${esc(ms(value))}</text>`);
  }
  const thresholdY = y(report.thresholdMs);
  parts.push(`<line x1="${PAD_LEFT}" x2="${WIDTH - 8}" y1="${thresholdY}" y2="${thresholdY}" stroke="#12b76a" stroke-dasharray="4 4"/>`);
  for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<text x="${x(start + span * fraction)}" y="${HEIGHT - 6}" text-anchor="${fraction === 0 ? 'start' : fraction === 1 ? 'end' : 'middle'}">+${esc(ms(span * fraction))}</text>`);
  }
  report.stalls.forEach((stall, i) => {
    const left = x(starts[i]!);
    const width = Math.max(3, (stall.durationMs / span) * plotW);
    const top = y(stall.durationMs);
    const where = stall.site !== null ? `${location(stall.site, cwd)} ${stall.site.function}` : `no stack: ${stall.noStackReason ?? 'unknown'}`;
    const title = `${ms(stall.durationMs)} at +${ms(starts[i]! - start)} · ${stall.kind}${stall.api !== null ? ` · ${stall.api}` : ''} · ${where}`;
    const bar = `<rect x="${left.toFixed(1)}" y="${top.toFixed(1)}" width="${width.toFixed(1)}" height="${(10 + plotH - top).toFixed(1)}" rx="1.5" fill="${kindColor(stall.kind)}"><title>${esc(title)}</title></rect>`;
    const index = siteIndex(stall);
    parts.push(index >= 0 ? `<a href="#site-${index + 1}">${bar}</a>` : bar);
  });
  return `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="stalls over time">${parts.join('')}</svg>`;
}

export function renderLegend(kinds: readonly StallKind[]): string {
  const items = kinds.map((kind) => `<span style="--c:${kindColor(kind)}">${esc(kind)}</span>`);
  items.push('<span style="--c:#12b76a">threshold</span>');
  return `<div class="legend">${items.join('')}</div>`;
}

export function siteIndexer(sites: readonly SiteView[]): (stall: ReportView['stalls'][number]) => number {
  const keys = new Map(sites.map((site, i) => [`${site.file}:${site.line}`, i]));
  return (stall) => (stall.site === null ? -1 : (keys.get(`${stall.site.file}:${stall.site.line}`) ?? -1));
}
