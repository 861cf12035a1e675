/**
 * Loads one of loopwatch's bundles with a V8 code cache: the bytecode of the functions the bundle
 * ran at start-up, saved by the first process and read back by the next ones. Compiling them was a
 * third of the preload's time on the app's main thread, and every process paid it again
 * (docs/benchmarks.md, "Start-up cost per process"). Where the cache lives and why its files can
 * be trusted: src/code-cache-folder.ts. Node's own compile cache would do the same work, but it can
 * only be turned on for every module the app loads after it, which is not loopwatch's to decide.
 *
 * Nothing here may cost the app its start: any failure before the bundle runs loads it with plain
 * `require`, and a cache that cannot be written is only a slower next start.
 */
import { closeSync, constants, fstatSync, fsyncSync, futimesSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { Script } from 'node:vm';
import { getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';
import { isTrustedCacheFile, openCacheFolder, prune, wantsTouch, type CacheFolder } from './code-cache-folder';

/** Node's CommonJS wrapper, on a line of its own so that the bundle's own lines and columns stay its own. */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {\n';
const WRAPPER_TAIL = '\n})';
/** The process's Node and V8 flags, as the main thread read them, for every worker thread's cache. */
const FLAGS_KEY = 'loopwatch.codeCacheFlags';

type CommonJsBody = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/** What became of the cache: read and accepted, written for the next start, or not used at all. */
export type CodeCacheUse = 'read' | 'written' | 'unwritable' | 'unused';

/** Runs the CommonJS bundle at `file` once, as `require(file)` would. Throws only what the bundle throws. */
export function requireWithCodeCache(file: string): CodeCacheUse {
  const flags = processFlags();
  const folder = cacheCanServe(flags) ? openCacheFolder() : undefined;
  const compiled = folder === undefined ? undefined : compile(file, folder, flags);
  if (folder === undefined || compiled === undefined) {
    folder?.close();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the plain way, when the cache cannot help
    require(file);
    return 'unused';
  }
  try {
    const module = { exports: {} };
    compiled.body.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
    if (!compiled.stale) return 'read';
    return save(compiled.script, folder, compiled.cacheName) ? 'written' : 'unwritable';
  } finally {
    folder.close();
  }
}

/**
 * Where a cache would change what the app sees, it stays off: Node 20's `--experimental-policy`
 * checks the integrity of what `require` loads (a `vm.Script` would bypass it), and with source maps
 * on, Node maps the frames of what `require` compiled, not of a script.
 */
function cacheCanServe(flags: string): boolean {
  return !process.sourceMapsEnabled && !/--experimental-policy|--policy-integrity/.test(flags);
}

interface Compiled {
  script: Script;
  body: CommonJsBody;
  cacheName: string;
  /** No cache was read, or V8 rejected it: write one once the bundle has run. */
  stale: boolean;
}

function compile(file: string, folder: CacheFolder, flags: string): Compiled | undefined {
  try {
    const source = readFileSync(file, 'utf8');
    const cacheName = `${basename(file, '.js')}-${cacheKey(file, source, flags)}.v8`;
    const cachedData = readCache(folder.entry(cacheName));
    const script = new Script(WRAPPER_HEAD + source + WRAPPER_TAIL, { filename: file, lineOffset: -1, cachedData });
    const body = script.runInThisContext() as CommonJsBody;
    return { script, body, cacheName, stale: cachedData === undefined || script.cachedDataRejected === true };
  } catch {
    return undefined;
  }
}

/**
 * Names the cache after everything that makes it wrong. V8 checks its own version and flags, but of
 * the source only its length, so an edited bundle of the same length would run the old bytecode:
 * the build's hash (the bundle's last line, scripts/bundle.mjs) and the file's size, mtime and inode
 * are in the name. So are Node's binary and the process's flags, so that processes run with
 * different ones keep one cache each instead of rewriting one in turn.
 */
function cacheKey(file: string, source: string, flags: string): string {
  const stats = statSync(file);
  const build = /\/\/ loopwatch build (\w+)\n$/.exec(source.slice(-64))?.[1] ?? '';
  const key = [build, process.version, process.arch, process.execPath, file, stats.size, stats.mtimeMs, stats.ino, flags].join('\0');
  return fnv1a(key, 0x811c9dc5) + fnv1a(key, 0x050c5d1f);
}

/**
 * V8's flags are the process's, but a worker's `process.execArgv` is its own (the watchdog's is
 * empty): workers read the main thread's. An `-e` or `-p` script is left out, not being a flag.
 */
function processFlags(): string {
  const inherited = isMainThread ? undefined : getEnvironmentData(FLAGS_KEY);
  if (typeof inherited === 'string') return inherited;
  const flags: string[] = [];
  for (let i = 0; i < process.execArgv.length; i += 1) {
    const arg = process.execArgv[i]!;
    if (/^(-e|--eval|-p|--print)$/.test(arg)) i += 1;
    else if (!/^(--eval|--print)=/.test(arg)) flags.push(arg);
  }
  const value = `${flags.join(' ')}\0${process.env.NODE_OPTIONS ?? ''}`;
  if (isMainThread) setEnvironmentData(FLAGS_KEY, value);
  return value;
}

function fnv1a(text: string, seed: number): string {
  let hash = seed;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * The cache's bytes, if the file can be trusted (code-cache-folder.ts) and is whole. V8 checks the
 * header of a cache, not its content, and damaged bytecode aborts the process at every start. The
 * file holds the data twice and the two halves must match: hashing 140 KB in JavaScript at
 * start-up cost 1.6-2.9 ms (before V8 optimizes the loop), loading crypto or zlib more; comparing
 * two copies is one memcmp.
 */
function readCache(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (!isTrustedCacheFile(stats)) return undefined;
    const both = readFileSync(fd);
    const half = both.length / 2;
    if (half === 0 || !Number.isInteger(half) || !both.subarray(0, half).equals(both.subarray(half))) return undefined;
    const now = Date.now();
    if (wantsTouch(stats, now)) futimesSync(fd, now / 1000, now / 1000);
    return both.subarray(0, half);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the cache under a temporary name of its own and renames it in, synced first: a reader sees
 * all of it or none, after a crash too, and two processes starting together each write a whole one.
 */
function save(script: Script, folder: CacheFolder, cacheName: string): boolean {
  const partial = folder.entry(`.${cacheName}.${process.pid}.${Math.random().toString(36).slice(2, 10)}`);
  let fd: number;
  try {
    fd = openSync(partial, 'wx', 0o600);
  } catch {
    return false;
  }
  try {
    try {
      const data = script.createCachedData();
      writeAll(fd, data);
      writeAll(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, folder.entry(cacheName));
  } catch {
    try {
      unlinkSync(partial);
    } catch {
      // Already gone.
    }
    return false;
  }
  try {
    prune(folder, Date.now());
  } catch {
    // The next write sweeps again.
  }
  return true;
}

function writeAll(fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset);
}
