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

export function syncTargets(fsExports: Record<string, unknown>): Target[] {
  // `require` returns the real exports objects (`import * as` would be a copy, and patching a copy
  // times nothing); here, not at the top, so that LOOPWATCH_SYNC_APIS=false does not load them.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const crypto = require('node:crypto') as Record<string, unknown>;
  const zlib = require('node:zlib') as Record<string, unknown>;
  const childProcess = require('node:child_process') as Record<string, unknown>;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const endsInSync = (exports: object): string[] =>
    Object.keys(exports).filter((name) => name.endsWith('Sync') && typeof (exports as Record<string, unknown>)[name] === 'function');
  const cryptoExports = crypto;
  return [
    { module: 'fs', exports: fsExports, names: endsInSync(fsExports) },
    {
      module: 'crypto',
      exports: cryptoExports,
      names: [...CRYPTO_SYNC.filter((name) => typeof cryptoExports[name] === 'function'), 'randomBytes'],
      syncWithoutCallback: ['randomBytes'],
    },
    { module: 'zlib', exports: zlib, names: endsInSync(zlib) },
    {
      module: 'child_process',
      exports: childProcess,
      names: ['execSync', 'execFileSync', 'spawnSync'],
    },
    { module: 'JSON', exports: JSON as unknown as Record<string, unknown>, names: ['parse', 'stringify'] },
  ];
}
