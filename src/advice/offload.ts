/**
 * "Move it off the loop" advice for CPU-bound code: a piscina worker pool snippet that names the
 * actual function and module (the Node counterpart of asyncio's run_in_executor), and the
 * setImmediate chunking alternative.
 */
import * as path from 'node:path';
import { code } from './types';
import { type SideEffects, hasSideEffects, ownModuleFor } from './side-effects';

export interface Target {
  /** The function to move; `(anonymous)` when the site has no name. */
  fn: string;
  /** The file the function lives in. */
  file: string;
  /**
   * Set when the function must first move out of this file (it has side effects when required,
   * src/advice/side-effects.ts): the snippet creates `<name>-work<ext>` next to it and the worker
   * requires that instead.
   */
  moveOut?: boolean;
}

const ANONYMOUS = /^\(anonymous\)$|^$/;

/** Whether the file is written as an ES module (import syntax in the snippet). */
function isEsm(file: string): boolean {
  return /\.(mjs|mts|ts|tsx)$/.test(file);
}

/** The extension a relative import names: the compiled one for TypeScript. */
function importExt(ext: string): string {
  return ext === '.ts' || ext === '.tsx' ? '.js' : ext === '.mts' ? '.mjs' : ext;
}

/** A worker-pool snippet that moves `target.fn` from `target.file` into a piscina pool. */
export function piscinaSnippet(target: Target): string {
  const anonymous = ANONYMOUS.test(target.fn);
  const fn = anonymous ? 'work' : target.fn;
  const from = path.basename(target.file);
  const esm = isEsm(target.file);
  const source = target.moveOut === true ? ownModuleFor(target.file) : target.file;
  const ext = path.extname(source);
  const base = path.basename(source, ext);
  const jsExt = importExt(ext);
  const workerFile = `${base}.worker${jsExt}`;
  const compiled = jsExt !== ext ? '; piscina loads the compiled .js' : '';
  const head: string[] = [];
  if (target.moveOut === true) {
    const what = anonymous ? `the body of the anonymous function at ${from} as a function \`${fn}\`` : fn;
    head.push(
      `// ${base}${ext} (new, next to ${from}): move ${what} here, with only what it needs (nothing that listens, connects or starts timers), and export it:`,
      esm ? `export { ${fn} };` : `module.exports = { ${fn} };`,
      `// in ${from}, where ${fn} was: ${esm ? `import { ${fn} } from './${base}${jsExt}';` : `const { ${fn} } = require('./${base}');`}`,
      '',
      `// ${workerFile}, next to ${base}${ext}${compiled ? ` (${compiled.slice(2)})` : ''}`,
    );
  } else {
    if (anonymous) head.push(`// move the body of the anonymous function at ${from} into an exported function \`${fn}\``);
    head.push(`// ${workerFile}, next to ${from} (export ${fn} from it if it is not${esm ? compiled : ''})`);
  }
  if (esm) {
    return code(
      ...head,
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
    ...head,
    `const { ${fn} } = require('./${base}');`,
    `module.exports = (input) => ${fn}(input); // return something small: the result is copied back`,
    '',
    `// where ${fn}(...) was called`,
    "const Piscina = require('piscina');",
    `const pool = new Piscina({ filename: require.resolve('./${workerFile}') });`,
    `const result = await pool.run(input);`,
  );
}

/**
 * The sentence that comes before a worker-pool snippet when the function's module has side
 * effects when required, or null when it looks free of them. `fn` as the site names it.
 */
export function moveFirst(fn: string, file: string, effects: SideEffects): string | null {
  if (!hasSideEffects(effects)) return null;
  const from = path.basename(file);
  const what = ANONYMOUS.test(fn) ? 'this function' : `${fn}()`;
  const { effect } = effects;
  const seen = effect !== null ? `line ${effect.line} (\`${effect.text}\`) looks like it ${effect.does} at the module's top level` : '';
  const why = effects.entry
    ? effect !== null
      ? `${from} is the file the app was started with, and ${seen}, so a worker that required ${from} would run that again in every worker thread`
      : `${from} is the file the app was started with, so a worker that required it would start the app again in every worker thread`
    : `in ${from}, ${seen}, so a worker that required ${from} would run it again in every worker thread`;
  return `Move ${what} out of ${from} into a module of its own first, ${path.basename(ownModuleFor(file))} next to it: ${why}.`;
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
