import type { StallKind } from '../../stall-kind';

/** One colour per kind of blocking, shared by the timeline, its legend and the badges. */
const COLORS: Record<StallKind, string> = {
  'sync-api': '#f79009',
  json: '#2e90fa',
  regex: '#ee46bc',
  cpu: '#d92d20',
  microtasks: '#7a5af8',
  dependency: '#0ba5ec',
  'module-loading': '#12b76a',
  unknown: '#98a2b3',
};

export function kindColor(kind: StallKind): string {
  return COLORS[kind];
}
