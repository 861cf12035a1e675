/** One colour per kind of blocking, shared by the timeline, its legend and the badges. */
const COLORS: Record<string, string> = {
  'sync-api': '#f79009',
  json: '#2e90fa',
  regex: '#ee46bc',
  cpu: '#d92d20',
  microtasks: '#7a5af8',
  dependency: '#0ba5ec',
  gc: '#667085',
  unknown: '#98a2b3',
};

export function kindColor(kind: string): string {
  return COLORS[kind] ?? COLORS.unknown!;
}
