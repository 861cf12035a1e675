/** How the CLI starts a Node process under the preload, and where that process's reports land. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** preload/index.js of this package, from dist/src/cli/. */
export const PRELOAD = path.resolve(__dirname, '..', '..', '..', 'preload', 'index.js');

/** NODE_OPTIONS with the preload added, keeping what the user had (quoted: paths may hold spaces). */
export function withPreload(nodeOptions: string | undefined): string {
  const flag = `--require ${JSON.stringify(PRELOAD)}`;
  return nodeOptions !== undefined && nodeOptions.trim() !== '' ? `${nodeOptions} ${flag}` : flag;
}

/**
 * The reports a LOOPWATCH_REPORT setting produced: the file itself, or with `{pid}`, every file
 * matching it (a command like `npm start` runs more than one Node process).
 */
export function reportFiles(setting: string): string[] {
  if (!setting.includes('{pid}')) return fs.existsSync(setting) ? [setting] : [];
  const dir = path.dirname(setting);
  const pattern = new RegExp('^' + path.basename(setting).split('{pid}').map(escapeRegExp).join('\\d+') + '$');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => pattern.test(name)).map((name) => path.join(dir, name));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
