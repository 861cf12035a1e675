/**
 * Where the JSON report at a path goes, or why it cannot go there. Only a regular file is ever
 * replaced (the write is a rename over it): a FIFO, a device, a folder or a socket at the path is
 * refused, so `LOOPWATCH_REPORT=/dev/null` as root can no longer turn /dev/null into a regular file.
 * A symlink is followed: the report replaces its target, in the target's folder, and the link stays.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type ReportTarget = { path: string } | { problem: string };

const KINDS: Array<[(stats: fs.Stats) => boolean, string]> = [
  [(stats) => stats.isDirectory(), 'a folder'],
  [(stats) => stats.isFIFO(), 'a FIFO'],
  [(stats) => stats.isCharacterDevice(), 'a character device'],
  [(stats) => stats.isBlockDevice(), 'a block device'],
  [(stats) => stats.isSocket(), 'a socket'],
];

export function reportTarget(reportPath: string): ReportTarget {
  let target = path.resolve(reportPath);
  let stats: fs.Stats | null;
  try {
    stats = fs.lstatSync(target);
    if (stats.isSymbolicLink()) {
      target = resolveLink(target);
      stats = statOrNull(target);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return { problem: (error as Error).message };
    stats = null;
  }
  if (stats !== null && !stats.isFile()) {
    const kind = KINDS.find(([is]) => is(stats))?.[1] ?? 'not a regular file';
    return { problem: `${target} is ${kind}, not a regular file` };
  }
  const folder = path.dirname(target);
  try {
    // access(W_OK) alone passes for a writable regular file standing where the folder should be.
    if (!fs.statSync(folder).isDirectory()) return { problem: `ENOTDIR: ${folder} is not a folder` };
    fs.accessSync(folder, fs.constants.W_OK);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  return { path: target };
}

/** The final target of a symlink chain; a dangling link resolves to where it points. */
function resolveLink(link: string): string {
  try {
    return fs.realpathSync(link);
  } catch {
    let target = link;
    for (let hops = 0; hops < 32; hops++) {
      const next = path.resolve(path.dirname(target), fs.readlinkSync(target));
      if (statOrNull(next, true)?.isSymbolicLink() !== true) return next;
      target = next;
    }
    throw new Error(`ELOOP: too many symbolic links at ${link}`);
  }
}

function statOrNull(file: string, noFollow = false): fs.Stats | null {
  try {
    return noFollow ? fs.lstatSync(file) : fs.statSync(file);
  } catch {
    return null;
  }
}

/**
 * Whether a report can really be written there: the checks above, then the write itself, tried
 * with the temporary file the writer uses (created and removed at once). Some folders pass every
 * check and refuse files all the same (/proc, a read-only mount, a full disk).
 */
export function probeReportTarget(reportPath: string, pid: number): ReportTarget {
  const target = reportTarget(reportPath);
  if ('problem' in target) return target;
  const temporary = `${target.path}.${pid}.tmp`;
  try {
    fs.writeFileSync(temporary, '', { mode: 0o600, flag: 'wx' });
    fs.unlinkSync(temporary);
    return target;
  } catch (error) {
    return { problem: (error as Error).message };
  }
}
