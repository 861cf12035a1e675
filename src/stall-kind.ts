/**
 * What kind of blocking a stall was (decided by classify.ts). The kind drives the advice and is a
 * label users filter on. A module of its own, with no imports, so every layer can name the type.
 */
export type StallKind = 'sync-api' | 'json' | 'regex' | 'cpu' | 'microtasks' | 'dependency' | 'unknown';
