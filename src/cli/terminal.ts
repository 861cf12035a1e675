/**
 * The terminal summary: the worst sites by total blocked time, each with its numbers, the source
 * line from disk with a line of context, and the advice. Plain text when not on a terminal.
 */
import type { Paint } from './colors';
import { adviceParts, busyNote, displayPath, excerpt, ignoredNote, inProcesses, location, ms, noStackReasons, routesNote, worstRequestStall } from './format';
import type { ProcessView, ReportView, SiteView } from './load-report';
import { suggestFloating } from '../advice/suggest';
import { diskSources } from '../stack/source';

export interface TerminalOptions {
  paint: Paint;
  cwd: string;
  /** Sites shown in full; the rest are summed in one line. */
  top: number;
  /** Wrap prose at this width. */
  width: number;
}

export function renderTerminal(report: ReportView, options: TerminalOptions): string {
  const { paint: p } = options;
  const out: string[] = [];
  if (report.merged !== undefined) out.push(...renderProcesses(report.merged.processes, options));
  else out.push(p.bold(`loopwatch report`) + p.dim(`  pid ${report.pid} · node ${report.node} · ${report.mode} mode · threshold ${report.thresholdMs} ms · written at ${report.reason}`));
  const { stalls, totalBlockedMs, maxStallMs } = report.summary;
  if (stalls === 0) {
    out.push(p.green('No stalls: the event loop was never blocked for longer than the threshold.'));
  } else {
    const startup = report.summary.startup;
    const atStartup = startup.stalls > 0 ? ` ${startup.stalls} of them during start-up (${ms(startup.totalBlockedMs)}).` : '';
    out.push(`${p.bold(String(stalls))} stall${stalls === 1 ? '' : 's'}, ${p.bold(ms(totalBlockedMs))} blocked in total, longest ${p.bold(ms(maxStallMs))}.${atStartup}`);
  }
  if (!report.stacks) out.push(p.yellow(`Stacks unavailable${report.stacksUnavailable ? ` (${report.stacksUnavailable})` : ''}: stalls are timed but not located.`));
  const shown = report.sites.slice(0, options.top);
  shown.forEach((site, index) => out.push('', ...renderSite(site, index + 1, report, options)));
  const rest = report.sites.slice(options.top);
  if (rest.length > 0) {
    const restMs = rest.reduce((sum, site) => sum + site.totalMs, 0);
    out.push('', p.dim(`… and ${rest.length} more site${rest.length === 1 ? '' : 's'} (${ms(restMs)} in total): see the HTML report (--html).`));
  }
  if (report.overflow.sites > 0) out.push(p.dim(`${report.overflow.sites} more sites did not fit the site table (${report.overflow.count} stalls, ${ms(report.overflow.totalMs)}).`));
  if (report.unattributed.count > 0) {
    out.push(p.dim(`${report.unattributed.count} stall${report.unattributed.count === 1 ? '' : 's'} without a stack (${ms(report.unattributed.totalMs)}, longest ${ms(report.unattributed.maxMs)}): ${noStackReasons(report.unattributed)}.`));
  }
  const ignored = ignoredNote(report.ignored);
  if (ignored !== null) out.push(p.dim(`${ignored}.`));
  const busy = busyNote(report.busy, options.cwd);
  if (busy !== null) out.push('', `${busy}.`);
  out.push(...renderSyncApis(report, p));
  out.push(...renderPromises(report, options));
  return out.join('\n') + '\n';
}

function renderSite(site: SiteView, rank: number, report: ReportView, options: TerminalOptions): string[] {
  const { paint: p, cwd } = options;
  const out: string[] = [];
  const share = report.summary.totalBlockedMs > 0 ? ` (${Math.round((site.totalMs / report.summary.totalBlockedMs) * 100)}%)` : '';
  const fn = site.function !== '(anonymous)' ? ` ${p.cyan(site.function + '()')}` : '';
  out.push(`${p.bold(`#${rank}`)} ${p.bold(location(site, cwd))}${fn}  ${p.red(ms(site.totalMs))}${share} blocked`);
  const api = site.api !== null ? ` · ${p.yellow(site.api)}` : '';
  const phase = site.phase === 'startup' ? ' · during start-up' : '';
  out.push(p.dim(`   ${site.count} stall${site.count === 1 ? '' : 's'} · max ${ms(site.maxMs)} · kind ${site.kind}${phase}${inProcesses(site)}`) + api);
  const worst = worstRequestStall(site, report.stalls);
  if (worst !== null) out.push(`   ${worst}`);
  const routes = routesNote(site);
  if (routes !== null) out.push(p.dim(`   requests: ${routes}`));
  const source = excerpt(site, 1);
  if (source !== null) {
    const numberWidth = String(source.lines[source.lines.length - 1]!.number).length;
    for (const line of source.lines) {
      const gutter = `${line.current ? '>' : ' '} ${String(line.number).padStart(numberWidth)} │ `;
      out.push(line.current ? `   ${p.red(gutter)}${p.bold(line.text)}` : p.dim(`   ${gutter}${line.text}`));
    }
  } else {
    out.push(p.dim(`   (source not readable: ${displayPath(site.file, cwd)})`));
  }
  out.push(...renderAdvice(site.suggestion, options));
  return out;
}

/** The header of a merged report: which processes contributed, worst first. */
function renderProcesses(processes: readonly ProcessView[], options: TerminalOptions): string[] {
  const { paint: p, cwd } = options;
  const out = [p.bold('loopwatch report') + p.dim(`  merged from ${processes.length} report${processes.length === 1 ? '' : 's'} (pids ${processes.map((proc) => proc.pid).join(', ')})`)];
  for (const proc of [...processes].sort((a, b) => b.totalBlockedMs - a.totalBlockedMs)) {
    const stalls = `${proc.stalls} stall${proc.stalls === 1 ? '' : 's'}, ${ms(proc.totalBlockedMs)}`;
    out.push(p.dim(`   pid ${proc.pid} · ${displayPath(proc.file, cwd)} · node ${proc.node} · ${proc.mode} mode · started ${proc.startedAt} · `) + stalls);
  }
  return out;
}

function renderAdvice(text: string, options: TerminalOptions): string[] {
  const { paint: p } = options;
  const out: string[] = [];
  let first = true;
  for (const part of adviceParts(text)) {
    if (part.code) {
      for (const line of part.text.split('\n')) out.push(`     ${p.dim('│')} ${p.green(line)}`);
      continue;
    }
    for (const paragraph of part.text.split('\n')) {
      const lines = wrap(paragraph, options.width - 5);
      lines.forEach((line, index) => out.push(`   ${first && index === 0 ? p.yellow('→') : ' '} ${line}`));
      first = false;
    }
  }
  return out;
}

function renderSyncApis(report: ReportView, p: Paint): string[] {
  const entries = Object.entries(report.syncApis).filter(([, stats]) => stats.slowCalls > 0 || stats.totalMs >= 1).sort((a, b) => b[1].totalMs - a[1].totalMs);
  if (entries.length === 0) return [];
  const out = ['', p.bold('Synchronous API calls')];
  const width = Math.max(...entries.map(([api]) => api.length));
  for (const [api, stats] of entries.slice(0, 10)) {
    out.push(`   ${api.padEnd(width)}  ${String(stats.calls).padStart(7)} calls  ${ms(stats.totalMs).padStart(9)} total  max ${ms(stats.maxMs).padStart(8)}  ${stats.slowCalls} slow`);
  }
  return out;
}

function renderPromises(report: ReportView, options: TerminalOptions): string[] {
  const { paint: p, cwd } = options;
  const out: string[] = [];
  if (report.rejections.length > 0) {
    out.push('', p.bold(`Unhandled promise rejections (${report.rejections.reduce((sum, r) => sum + r.count, 0)})`));
    for (const rejection of report.rejections.slice(0, 5)) {
      const where = rejection.location !== null ? ` at ${location(rejection.location, cwd)}` : '';
      out.push(`   ${p.red('✗')} ${rejection.message}${p.dim(where)}${rejection.count > 1 ? p.dim(` ×${rejection.count}`) : ''}`);
    }
  }
  if (report.floating.length > 0) {
    out.push('', p.bold(`Promises never awaited (${report.floating.reduce((sum, f) => sum + f.count, 0)})`));
    for (const finding of report.floating.slice(0, options.top)) {
      out.push(`   ${p.bold(location(finding, cwd))}${finding.function !== '(anonymous)' ? ` ${p.cyan(finding.function + '()')}` : ''}${p.dim(` ×${finding.count}`)}`);
      out.push(...renderAdvice(suggestFloating(finding, diskSources), options));
    }
  }
  return out;
}

/** Greedy word wrap; words longer than the width stay whole. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    if (word === '') continue;
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}
