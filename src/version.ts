/** loopwatch's own version, for metrics and meters. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** From its package.json (found from src/ under vitest and dist/src/ when built). */
export function loopwatchVersion(): string {
  for (let dir = __dirname, i = 0; i < 5; i += 1, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'loopwatch' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json at this level: keep walking up.
    }
  }
  return 'unknown';
}
