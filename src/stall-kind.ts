/**
 * What kind of blocking a stall was (decided by classify.ts). The kind drives the advice and is a
 * label users filter on. A module of its own, with no imports, so every layer can name it.
 */
export const STALL_KINDS = ['sync-api', 'json', 'regex', 'cpu', 'microtasks', 'dependency', 'module-loading', 'unknown'] as const;
export type StallKind = (typeof STALL_KINDS)[number];
