/**
 * "Move it off the loop" advice for CPU-bound code: a piscina worker pool snippet that names the
 * actual function and module (the Node counterpart of asyncio's run_in_executor), and the
 * setImmediate chunking alternative.
 */
import * as path from 'node:path';
import { code } from './types';

export interface Target {
  /** The function to move; `(anonymous)` when the site has no name. */
  fn: string;
  /** The file the function lives in. */
  file: string;
}

const ANONYMOUS = /^\(anonymous\)$|^$/;

/** Whether the file is written as an ES module (import syntax in the snippet). */
function isEsm(file: string): boolean {
  return /\.(mjs|mts|ts|tsx)$/.test(file);
}

/** A worker-pool snippet that moves `target.fn` from `target.file` into a piscina pool. */
export function piscinaSnippet(target: Target): string {
  const anonymous = ANONYMOUS.test(target.fn);
  const fn = anonymous ? 'work' : target.fn;
  const ext = path.extname(target.file);
  const base = path.basename(target.file, ext);
  const jsExt = ext === '.ts' || ext === '.tsx' ? '.js' : ext === '.mts' ? '.mjs' : ext;
  const workerFile = `${base}.worker${jsExt}`;
  const moved = anonymous ? `// move the body of the anonymous function at ${path.basename(target.file)} into an exported function \`${fn}\`\n` : '';
  if (isEsm(target.file)) {
    return code(
      `${moved}// ${workerFile}, next to ${path.basename(target.file)} (export ${fn} from it if it is not${jsExt !== ext ? '; piscina loads the compiled .js' : ''})`,
      `import { ${fn} } from './${base}${jsExt}';`,
      `export default (input) => ${fn}(input); // return something small: the result is copied back`,
      '',
      `// where ${fn}(...) was called`,
      "import Piscina from 'piscina';",
      `const pool = new Piscina({ filename: new URL('./${workerFile}', import.meta.url).href });`,
      `const result = await pool.run(input);`,
    );
  }
  return code(
    `${moved}// ${workerFile}, next to ${path.basename(target.file)} (export ${fn} from it if it is not)`,
    `const { ${fn} } = require('./${base}');`,
    `module.exports = (input) => ${fn}(input); // return something small: the result is copied back`,
    '',
    `// where ${fn}(...) was called`,
    "const Piscina = require('piscina');",
    `const pool = new Piscina({ filename: require.resolve('./${workerFile}') });`,
    `const result = await pool.run(input);`,
  );
}

/** Splitting a loop into batches that give the event loop a turn in between. */
export function chunkingSnippet(): string {
  return code(
    "const { setImmediate: nextTurn } = require('node:timers/promises');",
    'for (let i = 0; i < items.length; i++) {',
    '  handle(items[i]);',
    '  if (i % 1000 === 999) await nextTurn(); // timers and I/O run between batches',
    '}',
  );
}

export const COPY_CAVEAT =
  'Arguments and results are copied between threads (structured clone): pass and return small values (ids, totals, a page of results), not the whole data set, or the copy blocks the loop again. `npm install piscina` first.';
