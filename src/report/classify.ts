/**
 * What kind of blocking a stall was, from what the watchdog knows about it. The kind drives the
 * advice and is a label users filter on.
 */
import type { Frame } from '../stack/frames';

export type StallKind = 'sync-api' | 'json' | 'regex' | 'cpu' | 'microtasks' | 'dependency' | 'unknown';

export interface ClassifyInput {
  api: string | null;
  site: Frame | null;
  stack: readonly Frame[];
}

export function classifyStall(input: ClassifyInput): StallKind {
  if (input.api !== null) return input.api.startsWith('JSON.') ? 'json' : 'sync-api';
  if (input.site === null || input.stack.length === 0) return 'unknown';
  const top = input.stack[0]!;
  if (top.file.split(/[\\/]/).includes('node_modules')) return 'dependency';
  return 'cpu';
}
