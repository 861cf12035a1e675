/**
 * The package the process's main module belongs to, when that module lies inside node_modules:
 * `node node_modules/typescript/lib/tsc.js`, `npx tsc`, a server started from its package's bin.
 * Then that package is the program being run, and owns the work no app frame is above
 * (attribution.ts, siteOf). Runs in the watchdog worker: the realpath never costs the app's thread.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRootOf } from './attribution';

/**
 * `mainModule` is the script as Node was given it (`process.argv[1]`): relative to `cwd`, maybe a
 * symlink (`node_modules/.bin/tsc`), which the realpath resolves the way frames' files are. Null
 * when there is no script (a REPL) or it is not inside node_modules.
 */
export function mainPackageRoot(mainModule: string | undefined, cwd: string): string | null {
  if (mainModule === undefined || mainModule === '') return null;
  let file: string;
  try {
    file = fs.realpathSync(path.resolve(cwd, mainModule));
  } catch {
    return null;
  }
  return packageRootOf(file);
}
