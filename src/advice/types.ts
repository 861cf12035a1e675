/**
 * What advice is computed from: a flagged site as the report holds it, and a way to read source.
 * Kept free of I/O so `suggest` is a pure function of its inputs (tests pass sources in memory).
 */
import type { Frame } from '../stack/frames';
import type { StallKind } from '../stall-kind';
import type { Phase } from '../phase';

export interface AdviceSite extends Frame {
  /** The blocking sync API (`fs.readFileSync`), or null. */
  api: string | null;
  kind: StallKind;
  /** Absent in reports from before phases: read as runtime. */
  phase?: Phase;
  /** The worst occurrence's stack, top frame first. */
  stack: readonly Frame[];
}

export interface AdviceContext {
  /** A file's lines (index 0 is line 1), or null when it cannot be read. */
  lines(file: string): readonly string[] | null;
  /**
   * The paths the app's entry file goes by (the file `node` was started with), when known: a
   * function there must move to a module of its own before a worker can require it
   * (src/advice/side-effects.ts).
   */
  entryFiles?: readonly string[];
}

/** A 1-based source line, trimmed, or null. */
export function lineOf(context: AdviceContext, file: string, line: number): string | null {
  const text = context.lines(file)?.[line - 1];
  return text === undefined ? null : text.trim();
}

/** Puts code in a fenced block, the one format the terminal and HTML renderers both understand. */
export function code(...lines: string[]): string {
  return '```\n' + lines.join('\n') + '\n```';
}

/** The libuv pool caveat every "use the async version" advice carries (docs/design.md, "Sync APIs and advice"). */
export const POOL_CAVEAT =
  'The async version runs on the libuv thread pool: 4 threads by default (UV_THREADPOOL_SIZE), shared by fs, dns.lookup, crypto and zlib. ' +
  'At high volume it queues; CPU-heavy work at volume belongs in a dedicated worker pool (piscina).';
