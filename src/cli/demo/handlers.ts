/**
 * The demo service's request handlers. Each one blocks the event loop in a different, realistic
 * way, so the report shows a site per kind with its own advice. Sizes are tuned for ~200-300 ms
 * per call on a small machine: twice the default 100 ms threshold, so a faster machine still
 * shows every site (a 64 MB file read took 105 ms on a 2-core dev machine, and /config went
 * missing from one CI run's report),
 * and short enough for several rounds of the routes in 10 s of load.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export interface DemoData {
  /** A large file on disk, read synchronously by /config. */
  configFile: string;
  /** A ~24 MB JSON document, parsed on every /catalog request. */
  catalogJson: string;
  /** The catalog's ~24 MB, compressed by /export. */
  exportText: Buffer;
}

/** Reads a 128 MB "config" file synchronously on every request. */
export function readConfig(data: DemoData): number {
  const text = fs.readFileSync(data.configFile, 'utf8');
  return text.length;
}

/** Derives a password hash on the main thread. */
export function hashPassword(password: string): string {
  const salt = 'demo-salt';
  return crypto.pbkdf2Sync(password, salt, 450_000, 64, 'sha512').toString('hex');
}

/** Parses the whole catalog to answer one question about it. */
export function parseCatalog(data: DemoData): number {
  const items = JSON.parse(data.catalogJson) as Array<{ price: number }>;
  return items.filter((item) => item.price > 1000).length;
}

/** Gzips an export in one synchronous call. */
export function compressExport(data: DemoData): number {
  return zlib.gzipSync(data.exportText, { level: 9 }).length;
}

/** Counts primes by trial division: honest CPU work. */
export function countPrimes(limit: number): number {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

/** A username check whose nested quantifier backtracks on almost-matching input. */
const USERNAME = /^(\w+\s?)+$/;

export function validateUsername(name: string): boolean {
  return USERNAME.test(name);
}
