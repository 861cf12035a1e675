/**
 * Turns inspector call frames into report frames: absolute file paths, 1-based lines and columns,
 * mapped through source maps to the original (TypeScript) sources. Runs in the watchdog worker, so
 * reading source maps from disk never blocks the app.
 */
import { fileURLToPath } from 'node:url';
import { mapInMemory } from './memory-maps';

type SourceMapSupport = typeof import('source-map-support');
// Loaded at the first frame to map, not at start-up: 13 modules and ~10 ms that most processes,
// which never stall, never need.
let sourceMapSupport: SourceMapSupport | null = null;

export interface Frame {
  file: string;
  line: number;
  column: number;
  function: string;
  /**
   * Why the line is not known (`line` and `column` are then 0): the code ran transformed in memory
   * and its source map could not be read (see memory-maps.ts).
   */
  unmapped?: string;
  /**
   * On a site with no app frame on its stack: the package in node_modules that owns the work
   * (`typescript`, `@scope/name`), and why that one (see siteOf in attribution.ts).
   */
  package?: string;
  packageRole?: PackageRole;
}

/**
 * `main-module`: the process's main module is in this package (the program run is the package's:
 * tsc, a server's bin). `outermost`: the package Node called into, which ran a callback of its own.
 */
export type PackageRole = 'main-module' | 'outermost';

/** The part of an inspector `Debugger.CallFrame` loopwatch reads. */
export interface InspectorCallFrame {
  functionName: string;
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber?: number };
}

/** Stacks are kept to this many frames: the top frames say where the time goes, the rest costs memory. */
export const MAX_FRAMES = 32;
/**
 * Frames read to find the site: a dependency's recursion (a compiler, a parser) easily puts the
 * app's calling line below frame 32.
 */
export const MAX_SCANNED_FRAMES = 256;

export function toFrames(callFrames: readonly InspectorCallFrame[], scriptUrls: ReadonlyMap<string, string>): Frame[] {
  const frames: Frame[] = [];
  for (const callFrame of callFrames.slice(0, MAX_SCANNED_FRAMES)) {
    const url = callFrame.url || scriptUrls.get(callFrame.location.scriptId) || '';
    frames.push(
      mapFrame({
        file: urlToPath(url),
        line: callFrame.location.lineNumber + 1,
        column: (callFrame.location.columnNumber ?? 0) + 1,
        function: callFrame.functionName || '(anonymous)',
      }),
    );
  }
  return frames;
}

export function urlToPath(url: string): string {
  if (url.startsWith('file://')) {
    try {
      return fileURLToPath(url);
    } catch {
      return url;
    }
  }
  return url;
}

/**
 * Maps one 1-based frame through the file's source map, if it has one: on disk (a `.map` file, or
 * an inline `data:` URL in the file), else kept in memory by the loader that transformed it.
 */
export function mapFrame(frame: Frame): Frame {
  if (!frame.file.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(frame.file)) return frame;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sourceMapSupport ??= require('source-map-support') as SourceMapSupport;
    // source-map-support takes 1-based lines and 0-based columns, like V8's stack traces.
    const mapped = sourceMapSupport.mapSourcePosition({ source: frame.file, line: frame.line, column: frame.column - 1 });
    if (mapped.source !== frame.file || mapped.line !== frame.line) {
      return { file: urlToPath(mapped.source), line: mapped.line, column: mapped.column + 1, function: frame.function };
    }
  } catch {
    // Not mapped from disk: maybe in memory.
  }
  try {
    return mapInMemory(frame);
  } catch {
    return frame;
  }
}

/** The top MAX_FRAMES frames, plus the site when it is deeper (so the report shows how it got there). */
export function keptFrames(stack: readonly Frame[], site: Frame | null): Frame[] {
  const top = stack.slice(0, MAX_FRAMES);
  // The site may be a copy of its stack frame that names its package (attribution.ts).
  if (site !== null && !top.some((frame) => frame === site || (frame.file === site.file && frame.line === site.line && frame.column === site.column))) top.push(site);
  return top;
}
