/**
 * Reads source files for advice, classification and the terminal report: synchronously (callers
 * run in the watchdog worker or the CLI, never on the app's thread), bounded and cached, so a
 * report written every second does not re-read the same files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Larger files are generated or bundled: their lines are not worth showing. */
const MAX_FILE_BYTES = 2 * 1024 * 1024;
const MAX_CACHED_FILES = 64;
/** Minified lines would flood a terminal or a report field. */
const MAX_LINE_CHARS = 400;

const cache = new Map<string, readonly string[] | null>();

/** A file's lines (index 0 is line 1), or null for builtins, unreadable or oversized files. */
export function readSourceLines(file: string): readonly string[] | null {
  if (!path.isAbsolute(file)) return null;
  const cached = cache.get(file);
  if (cached !== undefined || cache.has(file)) return cached ?? null;
  let lines: readonly string[] | null = null;
  try {
    if (fs.statSync(file).size <= MAX_FILE_BYTES) {
      lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).map((line) => (line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) + '…' : line));
    }
  } catch {
    lines = null;
  }
  if (cache.size >= MAX_CACHED_FILES) cache.delete(cache.keys().next().value as string);
  cache.set(file, lines);
  return lines;
}

/** Forgets cached files (sources can change between two reports of a long-running process). */
export function clearSourceCache(): void {
  cache.clear();
}

export const diskSources = { lines: readSourceLines };

/**
 * The paths stack frames may name the app's entry file by: `argv1` (the main thread's
 * `process.argv[1]`, already absolute) as given, with the extension `node server` leaves out, and
 * with symlinks resolved as the loader resolves them (unless --preserve-symlinks-main). Empty when
 * there is none (`node -e`, the REPL). Reads the disk: runs in the watchdog, never on the app's thread.
 */
export function resolveEntry(argv1: string | undefined): string[] {
  if (argv1 === undefined || !path.isAbsolute(argv1)) return [];
  for (const candidate of [argv1, `${argv1}.js`, `${argv1}.cjs`, `${argv1}.mjs`]) {
    try {
      if (fs.statSync(candidate).isFile()) return [...new Set([argv1, candidate, fs.realpathSync(candidate)])];
    } catch {
      // not this one
    }
  }
  return [argv1];
}
