/**
 * The folder of loopwatch's code cache (src/code-cache.ts), and the rules that make its files safe
 * to read: cached bytecode runs as code, so nothing another user could have written is ever read.
 *
 * - The folder is `$TMPDIR/loopwatch-code-cache-<uid>` (made 0700), or an absolute path in
 *   `LOOPWATCH_CODE_CACHE`; `off` (or `false`, `no`, `0`) turns the cache off.
 * - It is used only if this user owns it and neither group nor others can write to it, checked on
 *   an open descriptor of the folder itself (not a symlink), and every file in it is reached
 *   through that descriptor (`/proc/self/fd/N/name` on Linux): swapping the folder or a parent
 *   after the check changes nothing.
 * - A cache file is read only if it is a regular file of this user's, with no access for group or
 *   others and a single link (a hard link could give another user's file our name).
 * - On Windows, where there is no owner to check here, only a folder the user names is used.
 */
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, unlinkSync, type Stats } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { booleanWord } from './boolean-words';
import type { WarningCode } from './codes';
import { warn } from './warn';

const ENV = 'LOOPWATCH_CODE_CACHE';
/** A temporary file this old was not being written any more. */
const ABANDONED_AFTER_MS = 60_000;
/** A cache file nobody read for this long belongs to a build, a Node or a set of flags gone by. */
const UNUSED_AFTER_MS = 30 * 24 * 3600_000;
/** A cache file read is touched at most this often, so that pruning sees it in use. */
const TOUCH_EVERY_MS = 24 * 3600_000;

export interface CacheFolder {
  /** The path to `name` in the folder, through the folder's descriptor where the platform allows. */
  entry(name: string): string;
  close(): void;
}

/** The folder to use, created if missing, or undefined: off, not safe, or not to be had. Never throws. */
export function openCacheFolder(): CacheFolder | undefined {
  const choice = folderSetting(process.env[ENV]);
  if (choice === undefined) return undefined;
  try {
    return open(choice.folder);
  } catch (error) {
    // The default folder failing is loopwatch's business (a slower start); one the user named is theirs.
    if (choice.named) tell('LOOPWATCH_CODE_CACHE_UNUSABLE', `${ENV}=${choice.folder} cannot be used (${(error as Error).message}); loopwatch loads without a code cache`);
    return undefined;
  }
}

function folderSetting(setting: string | undefined): { folder: string; named: boolean } | undefined {
  const word = setting === undefined ? undefined : booleanWord(setting);
  if (word === false) return undefined;
  if (setting !== undefined && setting !== '' && word === undefined) {
    if (isAbsolute(setting)) return { folder: setting, named: true };
    tell('LOOPWATCH_BAD_ENV', `${ENV}=${setting} is not an absolute path (nor on or off); the default folder is used`);
  }
  if (process.platform === 'win32') return undefined;
  // os.tmpdir()'s rule on POSIX, without loading os on the start-up path.
  const tmp = (process.env.TMPDIR || process.env.TMP || process.env.TEMP || '/tmp').replace(/(.)\/+$/, '$1');
  // A relative TMPDIR would put the folder in the app's working directory.
  if (!isAbsolute(tmp)) return undefined;
  return { folder: join(tmp, `loopwatch-code-cache-${process.getuid?.() ?? 'user'}`), named: false };
}

function open(folder: string): CacheFolder {
  if (process.platform === 'win32') {
    makeFolder(folder);
    return { entry: (name) => join(folder, name), close() {} };
  }
  const fd = openFolder(folder);
  try {
    if (!isPrivate(fstatSync(fd))) throw new Error('others can write to it, or it is not this user’s');
    const viaFd = `/proc/self/fd/${fd}`;
    const base = existsSync(viaFd) ? viaFd : folder;
    return { entry: (name) => join(base, name), close: () => closeSync(fd) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Opened, not followed if a symlink; made first if missing (all but the first start find it). */
function openFolder(folder: string): number {
  const flags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
  try {
    return openSync(folder, flags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  makeFolder(folder);
  return openSync(folder, flags);
}

function makeFolder(folder: string): void {
  // Not `recursive`: on Node 20 and 24 that never returns for a path under /proc.
  try {
    mkdirSync(folder, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Owned by this user, and not writable by group or others. */
function isPrivate(stats: Stats): boolean {
  return process.getuid === undefined || (stats.uid === process.getuid() && (stats.mode & 0o022) === 0);
}

/** For an open cache file: this user's regular file, no access for anyone else, one link. */
export function isTrustedCacheFile(stats: Stats): boolean {
  if (!stats.isFile()) return false;
  return process.getuid === undefined || (stats.uid === process.getuid() && (stats.mode & 0o077) === 0 && stats.nlink === 1);
}

/** A cache file read now and not touched for a day: touch it, so that prune sees it in use. */
export function wantsTouch(stats: Stats, now: number): boolean {
  return now - stats.mtimeMs > TOUCH_EVERY_MS;
}

/**
 * After a cache was written (rare): remove what a thread ended before renaming (a worker terminated
 * at exit cannot run its own clean-up), and the caches nobody read for a month.
 */
export function prune(folder: CacheFolder, now: number): void {
  for (const name of readdirSync(folder.entry(''))) {
    const maxAgeMs = /^\..+\.v8\.\d+\.\w+$/.test(name) ? ABANDONED_AFTER_MS : /^[\w-]+-[0-9a-f]{16}\.v8$/.test(name) ? UNUSED_AFTER_MS : undefined;
    if (maxAgeMs === undefined) continue;
    try {
      const file = folder.entry(name);
      if (now - lstatSync(file).mtimeMs > maxAgeMs) unlinkSync(file);
    } catch {
      // Renamed or removed by another process meanwhile.
    }
  }
}

function tell(code: WarningCode, message: string): void {
  // A worker thread inherits the environment: the main thread already said it.
  if (isMainThread) warn(code, message);
}
