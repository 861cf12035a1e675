/**
 * Maps frames of code that was transformed in memory (TypeScript run by tsx, ts-node or Node's
 * `--experimental-transform-types`), whose source map is not on disk: the second place mapFrame
 * looks, after the maps on disk. A TypeScript frame that neither maps is given no line at all
 * (`line: 0` and the reason in `unmapped`) rather than a line of the transformed code, which would
 * read as a plausible, wrong line of the `.ts` file. Node's type stripping is the exception: it
 * keeps every position, so its frames are right as they are.
 *
 * On an app thread the maps are looked up in that thread's own memory (map-lookup.ts). The watchdog
 * is another isolate and cannot see them: it asks the main thread (MainThreadMaps below), once per
 * file, after the stall that needed the map; frames captured before the answer are mapped again
 * when the stall is recorded (remapStall).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame } from './frames';
import type { FoundMap, MapsAnswer } from './map-lookup';

/** The extensions of TypeScript files: no JavaScript engine runs them as written. */
const TYPESCRIPT_FILE = /\.(?:[cm]?ts|tsx)$/;
/** How long a stall's record waits for the main thread's maps; it is free again, so this is rare. */
export const MAPS_ANSWER_TIMEOUT_MS = 1000;

export const UNMAPPED_REASONS = {
  none: 'this TypeScript file was transformed in memory and no source map of it was found, so the line of the transformed code would be wrong',
  blocked: "this TypeScript file was transformed in memory; its source map is in the app's thread, which was still blocked",
} as const;

interface SourceMapLike {
  findEntry(line: number, column: number): { generatedLine?: number; originalSource?: string; originalLine?: number; originalColumn?: number };
}

/** Where mapFrame finds maps kept in memory: this thread's own, or the main thread's answers (in the watchdog). */
let remote: { maps: Map<string, SourceMapLike | null>; stripsTypes: boolean | null } | null = null;
/** This thread's own maps, by file, once looked up (app threads only). */
const local = new Map<string, SourceMapLike | null>();
let localStripsTypes: boolean | null = null;
/** The captured frame behind each frame mapFrame could not map: mapped again once maps come in. */
const rawFrames = new WeakMap<Frame, Frame>();

/** Called once in the watchdog: maps come from the main thread, not from this thread's memory. */
export function useMainThreadMaps(): void {
  remote ??= { maps: new Map(), stripsTypes: null };
}

/** A frame the maps on disk did not map: mapped through a map kept in memory, or honestly unknown. */
export function mapInMemory(frame: Frame): Frame {
  const known = mapOf(frame.file);
  const mapped = known ? mapThrough(known, frame) : null;
  if (mapped !== null) return mapped;
  if (!TYPESCRIPT_FILE.test(frame.file) || (known === null && stripsTypes() === true)) return frame;
  const unknown: Frame = { file: frame.file, line: 0, column: 0, function: frame.function, unmapped: known === null ? UNMAPPED_REASONS.none : UNMAPPED_REASONS.blocked };
  rawFrames.set(unknown, frame);
  return unknown;
}

/** undefined: not known yet (the watchdog has not asked); null: known to have none. */
function mapOf(file: string): SourceMapLike | null | undefined {
  if (remote !== null) return remote.maps.get(file);
  if (!local.has(file)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const answer = (require('./map-lookup') as typeof import('./map-lookup')).lookUpSourceMaps([file]);
    localStripsTypes = answer.stripsTypes;
    local.set(file, answer.maps[0] ? loadMap(answer.maps[0]) : null);
  }
  return local.get(file);
}

function stripsTypes(): boolean | null {
  return remote !== null ? remote.stripsTypes : localStripsTypes;
}

function mapThrough(map: SourceMapLike, frame: Frame): Frame | null {
  const entry = map.findEntry(frame.line - 1, frame.column - 1);
  // An entry from an earlier line of the generated code says nothing about this one.
  if (entry.originalSource === undefined || entry.originalLine === undefined || entry.generatedLine !== frame.line - 1) return null;
  return { file: entry.originalSource, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1, function: frame.function };
}

/** A map as the main thread found it, ready to map positions; null when it cannot be read. */
export function loadMap(found: FoundMap): SourceMapLike | null {
  try {
    const payload = (found.payload ?? decodeDataUrl(found.url ?? '')) as { sources?: unknown; sourceRoot?: unknown } | null;
    if (payload === null || typeof payload !== 'object') return null;
    const root = typeof payload.sourceRoot === 'string' ? payload.sourceRoot : '';
    const sources = Array.isArray(payload.sources) ? payload.sources.map((source) => resolveSource(String(source), root, found.file)) : payload.sources;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SourceMap } = require('node:module') as { SourceMap: new (payload: unknown) => SourceMapLike };
    return new SourceMap({ ...payload, sources, sourceRoot: '' });
  } catch {
    return null;
  }
}

function decodeDataUrl(url: string): unknown {
  const match = /^data:application\/json(?:;[^,;]*)*?(;base64)?,(.*)$/s.exec(url);
  if (match === null) return null;
  const text = match[1] !== undefined ? Buffer.from(match[2]!, 'base64').toString('utf8') : decodeURIComponent(match[2]!);
  return JSON.parse(text);
}

/** A source of the map as an absolute path, as the frames of code read from disk have. */
function resolveSource(source: string, root: string, file: string): string {
  if (source.startsWith('file:')) return fileURLToPath(source);
  if (/^[a-z][a-z\d+.-]*:/i.test(source) || path.isAbsolute(source)) return source;
  const joined = root === '' ? source : root.startsWith('file:') ? fileURLToPath(new URL(source, root.endsWith('/') ? root : `${root}/`)) : path.join(root, source);
  return path.resolve(path.dirname(file), joined);
}

/**
 * The watchdog's side: asks the main thread for the maps of the files a stall's frames could not be
 * mapped in, when it is free again. A hang never gets them (the main thread never answers): its
 * TypeScript frames stay without a line, saying why.
 */
export class MainThreadMaps {
  private nextId = 1;
  private readonly pending = new Map<number, { files: readonly string[]; done(): void }>();
  /** Files asked about and not answered yet: asked once. */
  private readonly asked = new Set<string>();

  constructor(
    private readonly ask: (id: number, files: string[]) => void,
    private readonly setTimeout: (callback: () => void, ms: number) => unknown,
  ) {
    useMainThreadMaps();
  }

  /** The files of these frames whose maps the main thread may hold and nobody asked for yet. */
  wanted(frames: Iterable<Frame>): string[] {
    const files = new Set<string>();
    for (const frame of frames) {
      if (frame.unmapped === undefined || remote?.maps.has(frame.file) === true || this.asked.has(frame.file)) continue;
      files.add(frame.file);
    }
    return [...files];
  }

  /** Asks for the maps of `files`; resolves when they are in, or after MAPS_ANSWER_TIMEOUT_MS. */
  fetch(files: readonly string[]): Promise<void> {
    if (files.length === 0) return Promise.resolve();
    const id = this.nextId++;
    for (const file of files) this.asked.add(file);
    return new Promise((resolve) => {
      const done = (): void => {
        this.pending.delete(id);
        for (const file of files) this.asked.delete(file);
        resolve();
      };
      this.pending.set(id, { files, done });
      this.setTimeout(() => this.pending.get(id)?.done(), MAPS_ANSWER_TIMEOUT_MS);
      this.ask(id, [...files]);
    });
  }

  /** The main thread's answer: every file asked about is known from now on, with its map or none. */
  answered(id: number, answer: MapsAnswer): void {
    const pending = this.pending.get(id);
    if (remote === null || pending === undefined) return;
    remote.stripsTypes = answer.stripsTypes;
    for (const file of pending.files) remote.maps.set(file, null);
    for (const found of answer.maps) remote.maps.set(found.file, loadMap(found));
    pending.done();
  }
}

/** The stall's frames mapped again with the maps known now; the site stays the same frame of the stack. */
export function remapStall(stall: { site: Frame | null; stack: Frame[]; samples: Array<{ stack: Frame[] }> }, map: (frame: Frame) => Frame): void {
  const again = (frame: Frame): Frame => {
    const raw = rawFrames.get(frame);
    return raw === undefined ? frame : map(raw);
  };
  const site = stall.site;
  const stack = stall.stack.map(again);
  const at = site === null ? -1 : stall.stack.indexOf(site);
  stall.site = site === null ? null : at >= 0 ? stack[at]! : again(site);
  stall.stack = stack;
  for (const sample of stall.samples) sample.stack = sample.stack.map(again);
}
