/**
 * Source maps that exist only in the app thread's memory: the code a loader transformed as it
 * loaded it (tsx, ts-node, Node's `--experimental-transform-types`), whose map is an inline `data:`
 * URL in code that is not on disk. Runs on the app's thread, and only when asked: the watchdog asks
 * once per file, after the stall that needed it (docs/capture.md, "TypeScript run without a build step").
 * Nothing here runs at start-up or when a module loads.
 */
import { pathToFileURL } from 'node:url';

/** One file's map: Node's parsed payload, or the `data:` URL a loader appended to its output. */
export interface FoundMap {
  file: string;
  payload?: unknown;
  url?: string;
}

export interface MapsAnswer {
  maps: FoundMap[];
  /**
   * This thread runs `.ts` files as Node's type stripping does, which keeps every position: Node
   * strips types (`process.features.typescript === 'strip'`) and no loader took over `.ts` files.
   */
  stripsTypes: boolean;
}

/** The key under which @cspotcode/source-map-support (ts-node's) shares its handlers between copies. */
const SHARED_DATA = Symbol.for('source-map-support/sharedData');
const SOURCE_MAPPING_URL = '//# sourceMappingURL=';

export function lookUpSourceMaps(files: readonly string[]): MapsAnswer {
  const maps: FoundMap[] = [];
  for (const file of files) {
    try {
      const found = fromNodeCache(file) ?? fromSourceMapSupport(file);
      if (found !== null) maps.push(found);
    } catch {
      // A map that cannot be read is a frame left unmapped, never an error in the app.
    }
  }
  return { maps, stripsTypes: stripsTypes() };
}

/**
 * Node keeps the map of every module it loads while source maps are enabled (tsx enables them, as
 * do --enable-source-maps and --experimental-transform-types): CommonJS modules under their path,
 * ES modules under their URL.
 */
function fromNodeCache(file: string): FoundMap | null {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { findSourceMap } = require('node:module') as typeof import('node:module');
  if (typeof findSourceMap !== 'function') return null;
  const map = findSourceMap(file) ?? findSourceMap(pathToFileURL(file).href);
  if (map === undefined) return null;
  // The sources' text is not needed to map a position, and can be most of the payload.
  const { sourcesContent: _sourcesContent, ...payload } = map.payload as unknown as Record<string, unknown>;
  return { file, payload };
}

/**
 * ts-node keeps what it compiled in memory and gives it to @cspotcode/source-map-support through a
 * `retrieveFile` handler, in state that library shares on globalThis. Only those handlers are
 * asked (they answer from memory), never the library's own, which read files.
 */
function fromSourceMapSupport(file: string): FoundMap | null {
  const shared = (globalThis as Record<symbol, { retrieveFileHandlers?: unknown } | undefined>)[SHARED_DATA];
  const handlers = shared?.retrieveFileHandlers;
  if (!Array.isArray(handlers)) return null;
  for (const handler of handlers as unknown[]) {
    if (typeof handler !== 'function') continue;
    const content: unknown = (handler as (file: string) => unknown)(file);
    if (typeof content !== 'string' || content === '') continue;
    const at = content.lastIndexOf(SOURCE_MAPPING_URL);
    if (at < 0) return null;
    const url = content.slice(at + SOURCE_MAPPING_URL.length).split(/\r?\n/, 1)[0]!.trim();
    return url.startsWith('data:') ? { file, url } : null;
  }
  return null;
}

/** See MapsAnswer.stripsTypes. */
function stripsTypes(): boolean {
  if ((process.features as { typescript?: unknown }).typescript !== 'strip') return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const extensions = (require('node:module') as { _extensions?: Record<string, unknown> })._extensions;
  // Node's stripping registers no `.ts` handler; ts-node, tsx and the like do.
  return extensions?.['.ts'] === undefined && extensions?.['.mts'] === undefined && extensions?.['.cts'] === undefined;
}
