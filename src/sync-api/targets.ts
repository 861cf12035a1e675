/**
 * Which synchronous APIs loopwatch times. Node has no diagnostics channel for fs, crypto or zlib,
 * so wrapping the CommonJS exports is the only way (docs/design.md, "Sync APIs and advice").
 */

export interface Target {
  /** Label prefix: `fs`, `crypto`, ... */
  module: string;
  /** The exports object to patch (what `require('node:fs')` returns, shared with ESM). */
  exports: Record<string, unknown>;
  names: readonly string[];
  /** Functions that are synchronous only without a trailing callback (`crypto.randomBytes(n)`). */
  syncWithoutCallback?: readonly string[];
}

const CRYPTO_SYNC = ['pbkdf2Sync', 'scryptSync', 'generateKeyPairSync', 'generateKeySync', 'generatePrimeSync', 'checkPrimeSync', 'hkdfSync', 'randomFillSync'];

/**
 * `fs.opendirSync` is not timed: Node loads its module (`internal/fs/dir`, 0.45 ms of every
 * process's start-up) the first time anything touches the property, even its descriptor (Node 22
 * and later; a getter on Node 20). It only opens a directory handle; the reads that follow are
 * methods of the handle, which are not timed either.
 */
const LOADS_WHEN_TOUCHED = new Set(['opendirSync']);

const endsInSync = (exports: Record<string, unknown>): string[] =>
  Object.keys(exports).filter((name) => name.endsWith('Sync') && !LOADS_WHEN_TOUCHED.has(name) && typeof exports[name] === 'function');

/** The targets always loaded: `fs` (Node loads it at boot) and `JSON`. */
export function syncTargets(fsExports: Record<string, unknown>): Target[] {
  return [
    { module: 'fs', exports: fsExports, names: endsInSync(fsExports) },
    { module: 'JSON', exports: JSON as unknown as Record<string, unknown>, names: ['parse', 'stringify'] },
  ];
}

/** Node's modules whose sync APIs are wrapped once something loads them (see builtin-loads.ts). */
export const DEFERRED_MODULES = ['crypto', 'zlib', 'child_process', 'v8'] as const;

/**
 * The targets in one of DEFERRED_MODULES, given the real exports object (what `require` returns,
 * shared with ESM: `import * as` would be a copy, and patching a copy times nothing).
 */
export function builtinSyncTargets(module: string, exports: Record<string, unknown>): Target[] {
  switch (module) {
    case 'crypto':
      return [
        {
          module,
          exports,
          names: [...CRYPTO_SYNC.filter((name) => typeof exports[name] === 'function'), 'randomBytes'],
          syncWithoutCallback: ['randomBytes'],
        },
      ];
    case 'zlib':
      return [{ module, exports, names: endsInSync(exports) }];
    case 'child_process':
      return [{ module, exports, names: ['execSync', 'execFileSync', 'spawnSync'] }];
    default:
      return [];
  }
}
