/**
 * Loads one of loopwatch's bundles with a V8 code cache: the bytecode of the functions the bundle
 * ran at start-up, saved by the first process and read back by the next ones. Compiling them is a
 * third of the preload's time on the app's main thread, and every process pays it again
 * (docs/benchmarks.md, "Start-up cost per process").
 *
 * The cache is loopwatch's own, in a folder only this user can write
 * (`$TMPDIR/loopwatch-code-cache-<uid>` unless `LOOPWATCH_CODE_CACHE` names one; `off` turns it off):
 * cached bytecode runs as code, so a file that anyone else could have written is never read. Node's
 * own compile cache would do the same work, but it can only be turned on for every module the app
 * loads after it, which is not loopwatch's to decide.
 *
 * Nothing here may cost the app its start: any failure before the bundle runs loads it with plain
 * `require`, and a cache that cannot be written is only a slower next start.
 */
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, constants, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { isMainThread, threadId } from 'node:worker_threads';

const ENV = 'LOOPWATCH_CODE_CACHE';
/** A temporary file this old was not being written any more. */
const ABANDONED_AFTER_MS = 60_000;
/** Node's CommonJS wrapper, on a line of its own so that the bundle's own lines and columns stay its own. */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {\n';
const WRAPPER_TAIL = '\n})';

type CommonJsBody = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/** What became of the cache: read and accepted, written for the next start, or not used at all. */
export type CodeCacheUse = 'read' | 'written' | 'unwritable' | 'unused';

/** Runs the CommonJS bundle at `file` once, as `require(file)` would. Throws only what the bundle throws. */
export function requireWithCodeCache(file: string): CodeCacheUse {
  const folder = cacheFolder();
  const compiled = folder === undefined ? undefined : compile(file, folder);
  if (compiled === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the plain way, when the cache cannot help
    require(file);
    return 'unused';
  }
  const module = { exports: {} };
  compiled.body.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  if (!compiled.stale) return 'read';
  return save(compiled.script, compiled.cacheFile) ? 'written' : 'unwritable';
}

interface Compiled {
  script: Script;
  body: CommonJsBody;
  cacheFile: string;
  /** No cache was read, or V8 rejected it: write one once the bundle has run. */
  stale: boolean;
}

function compile(file: string, folder: string): Compiled | undefined {
  try {
    const source = readFileSync(file, 'utf8');
    const cacheFile = join(folder, `${basename(file, '.js')}-${cacheKey(file, source)}.v8`);
    const cachedData = readTrusted(cacheFile);
    const script = new Script(WRAPPER_HEAD + source + WRAPPER_TAIL, { filename: file, lineOffset: -1, cachedData });
    const body = script.runInThisContext() as CommonJsBody;
    return { script, body, cacheFile, stale: cachedData === undefined || script.cachedDataRejected === true };
  } catch {
    return undefined;
  }
}

/**
 * Names the cache after everything that makes it wrong. V8 checks its own version and flags, but of
 * the source only its length, so an edited bundle of the same length would run the old bytecode:
 * the build's hash (the bundle's last line, scripts/bundle.mjs) and the file's size, mtime and inode
 * are in the name. So are Node's binary and flags, so that processes run with different ones keep one cache
 * each instead of rewriting one in turn.
 */
function cacheKey(file: string, source: string): string {
  const stats = statSync(file);
  const build = /\/\/ loopwatch build (\w+)\n$/.exec(source.slice(-64))?.[1] ?? '';
  const key = [build, process.version, process.arch, process.execPath, file, stats.size, stats.mtimeMs, stats.ino, process.execArgv.join(' '), process.env.NODE_OPTIONS ?? ''].join('\0');
  return fnv1a(key, 0x811c9dc5) + fnv1a(key, 0x050c5d1f);
}

function fnv1a(text: string, seed: number): string {
  let hash = seed;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** The cache's bytes, if the file is a regular file of this user's that no one else can write. */
function readTrusted(cacheFile: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(cacheFile, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return undefined;
  }
  try {
    return isPrivate(fstatSync(fd)) ? readFileSync(fd) : undefined;
  } finally {
    closeSync(fd);
  }
}

/** Owned by this user and not writable by group or others (where users exist). */
function isPrivate(stats: Stats): boolean {
  if (process.getuid === undefined) return true;
  return stats.uid === process.getuid() && (stats.mode & 0o022) === 0;
}

/** The folder to use, created if missing; undefined when off or not safe. Warns only about a folder the user named. */
function cacheFolder(): string | undefined {
  const setting = process.env[ENV];
  if (setting === 'off' || setting === 'false' || setting === '0') return undefined;
  const named = setting !== undefined && setting !== '';
  const folder = named ? setting : defaultFolder();
  try {
    makeFolder(folder);
    const stats = lstatSync(folder);
    if (!stats.isDirectory() || !isPrivate(stats)) throw new Error('it is not a folder of this user that only this user can write');
    return folder;
  } catch (error) {
    if (named && isMainThread) {
      process.emitWarning(`loopwatch: ${ENV}=${folder} cannot be used (${(error as Error).message}); loopwatch loads without a code cache`, {
        code: 'LOOPWATCH_CODE_CACHE_UNUSABLE',
        type: 'LoopwatchWarning',
      });
    }
    return undefined;
  }
}

/** Not `recursive`: on Node 20 and 24 that loops forever on a path under /proc. */
function makeFolder(folder: string): void {
  try {
    mkdirSync(folder, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

function defaultFolder(): string {
  // os.tmpdir()'s rule on POSIX, without loading os on the start-up path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tmp = process.platform === 'win32' ? (require('node:os') as typeof import('node:os')).tmpdir() : (process.env.TMPDIR || process.env.TMP || process.env.TEMP || '/tmp').replace(/(.)\/+$/, '$1');
  return join(tmp, `loopwatch-code-cache-${process.getuid?.() ?? 'user'}`);
}

/**
 * Writes the cache under a name of this thread's own and renames it in: a reader sees all of it or
 * none, and two processes starting together each write a whole one.
 */
function save(script: Script, cacheFile: string): boolean {
  const partial = join(dirname(cacheFile), `.${basename(cacheFile)}.${process.pid}.${threadId}`);
  let fd: number;
  try {
    fd = openSync(partial, 'wx', 0o600);
  } catch {
    return false;
  }
  try {
    try {
      writeFileSync(fd, script.createCachedData());
    } finally {
      closeSync(fd);
    }
    renameSync(partial, cacheFile);
    removeAbandoned(dirname(cacheFile));
    return true;
  } catch {
    try {
      unlinkSync(partial);
    } catch {
      // Already gone.
    }
    return false;
  }
}

/**
 * A thread ended between opening its temporary file and renaming it (a worker terminated at exit
 * cannot finish its own catch) leaves it behind. Saving is rare: that is when to sweep them.
 */
function removeAbandoned(folder: string): void {
  const now = Date.now();
  for (const name of readdirSync(folder)) {
    if (!/^\..+\.v8\.\d+\.\d+$/.test(name)) continue;
    try {
      const file = join(folder, name);
      if (now - lstatSync(file).mtimeMs > ABANDONED_AFTER_MS) unlinkSync(file);
    } catch {
      // Renamed or removed by its own thread meanwhile.
    }
  }
}
