/**
 * Lists of sites a user names in the environment: `LOOPWATCH_FLOATING_IGNORE` (promises made on
 * purpose and never awaited) and `LOOPWATCH_IGNORE_SITES` (accepted blockers). One format for
 * both: comma-separated entries, each a file or a folder, or a glob with `*` and `**`, relative to
 * the working directory at start or absolute, with an optional `:line`. Stall entries can also
 * carry a `startup:` or `runtime:` prefix (phase.ts).
 */
import * as path from 'node:path';
import { PHASES, type Phase } from '../phase';
import type { Frame } from './frames';

export interface SiteRule {
  /** As written, without the `:line` and the phase prefix. */
  path: string;
  line: number | null;
  /** Only stalls of this phase; null for both (and always null for floating promises). */
  phase: Phase | null;
  /** For a glob: the absolute pattern (resolved against `cwd`), as a regular expression on `/`-separated paths. */
  glob: RegExp | null;
}

/** `startup:` / `runtime:`, unless what follows is only a line number (`startup:12` is the file `startup`, line 12). */
const PHASE_PREFIX = new RegExp(`^(${PHASES.join('|')}):(?!\\d+$)(.+)$`);

/**
 * Parses one entry; null when it cannot be used: no file before a `:` (`:12`, `:x`), line 0, a bare
 * phase prefix (`startup:`), or a `**` that is not a whole path segment (`src/**.js`, `***`).
 * `phases` says whether a `startup:`/`runtime:` prefix means a phase (stall sites) or is part of
 * the path (floating promises have no phase).
 */
export function parseSiteRule(entry: string, cwd: string, phases: boolean): SiteRule | null {
  let rest = entry.trim();
  let phase: Phase | null = null;
  const prefixed = phases ? PHASE_PREFIX.exec(rest) : null;
  if (prefixed !== null) {
    phase = prefixed[1] as Phase;
    rest = prefixed[2]!.trim();
  }
  const match = /^(.*):(\d+)$/.exec(rest);
  const file = (match === null ? rest : match[1]!).trim();
  const line = match === null ? null : Number(match[2]);
  if (file === '' || file.startsWith(':') || line === 0) return null;
  if (phases && PHASES.some((name) => file === `${name}:`)) return null;
  let glob: RegExp | null = null;
  if (file.includes('*')) {
    glob = globPattern(toSlashes(path.resolve(cwd, file)));
    if (glob === null) return null;
  }
  return { path: file, line, phase, glob };
}

/** Parses a list of entries, keeping the usable ones and naming the others. */
export function parseSiteRules(entries: readonly string[], cwd: string, phases: boolean): { rules: SiteRule[]; bad: string[] } {
  const rules: SiteRule[] = [];
  const bad: string[] = [];
  for (const entry of entries) {
    const rule = parseSiteRule(entry, cwd, phases);
    if (rule === null) bad.push(entry);
    else rules.push(rule);
  }
  return { rules, bad };
}

/**
 * Whether a site (source-mapped, as the report shows it) is one the rules name. A plain path names
 * a file, a folder, or a path tail (`jobs.ts` is any `.../jobs.ts`: the site may have been built
 * elsewhere); a glob names the files and folders it matches, from the working directory only.
 */
export function matchesSiteRule(site: Pick<Frame, 'file' | 'line'>, rules: readonly SiteRule[], cwd: string, phase: Phase | null = null): boolean {
  return rules.some((rule) => {
    if (rule.line !== null && rule.line !== site.line) return false;
    if (rule.phase !== null && rule.phase !== phase) return false;
    if (rule.glob !== null) return rule.glob.test(toSlashes(site.file));
    const wanted = path.resolve(cwd, rule.path);
    return site.file === wanted || site.file.startsWith(wanted + path.sep) || site.file.endsWith(path.sep + rule.path);
  });
}

/**
 * `*` is any run of characters within one path segment, `**` any number of whole segments (none
 * included). What the glob matches may be a folder: everything under it matches too. Null for a
 * `**` inside a segment, which has no clear meaning.
 */
function globPattern(pattern: string): RegExp | null {
  const segments = pattern.split('/');
  let source = '';
  for (const [index, segment] of segments.entries()) {
    const last = index === segments.length - 1;
    if (segment === '**') {
      // `a/**/b` is `a/b`, `a/x/b`, ...; a trailing `a/**` is anything under `a`.
      source += last ? '(?:/.*)?' : '(?:/[^/]+)*';
      continue;
    }
    if (segment.includes('**')) return null;
    if (index > 0) source += '/';
    source += segment
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*');
  }
  return new RegExp(`^${source}(?:/.*)?$`);
}

function toSlashes(file: string): string {
  return path.sep === '/' ? file : file.split(path.sep).join('/');
}
