/**
 * `suggest(site, context)`: what to do about a flagged site, specific to what blocked and where
 * (docs/design.md, "Sync APIs and advice"). Pure: sources come through `context`. The text may hold fenced code
 * blocks (```), which the terminal and HTML reports render as code.
 */
import * as path from 'node:path';
import type { Frame } from '../stack/frames';
import { type AdviceContext, type AdviceSite, code, lineOf } from './types';
import { atomicsAdvice, syncApiAdvice } from './sync-api';
import { COPY_CAVEAT, chunkingSnippet, moveFirst, piscinaSnippet } from './offload';
import { sideEffectsOf } from './side-effects';
import { nestedQuantifier, regexOnLine } from './regex';

export type { AdviceContext, AdviceSite } from './types';

export function suggest(site: AdviceSite, context: AdviceContext): string {
  const line = lineOf(context, site.file, site.line);
  const where = describe(site);
  if (!path.isAbsolute(site.file)) return internalAdvice(site, where);
  // Before the API: the loader's own fs calls are not the app's to rewrite.
  if (site.kind === 'module-loading') return moduleLoadingAdvice(site, line, where);
  if (site.api !== null) {
    if (site.api.startsWith('JSON.')) return jsonAdvice(site, context, site.api, line, where);
    const advice = syncApiAdvice(site.api, line, where);
    if (advice !== null) return advice;
  }
  if (line !== null && /\bAtomics\.wait\s*\(/.test(line)) return atomicsAdvice(line, where);
  switch (site.kind) {
    case 'json':
      return jsonAdvice(site, context, line !== null && line.includes('stringify') ? 'JSON.stringify' : 'JSON.parse', line, where);
    case 'regex':
      return regexAdvice(site, context, where);
    case 'microtasks':
      return microtaskAdvice(where);
    case 'dependency': {
      const advice = dependencyAdvice(site, context, line, where);
      if (advice !== null) return advice;
      return cpuAdvice(site, context, where);
    }
    default:
      return cpuAdvice(site, context, where);
  }
}

/** A floating (never awaited) promise found by the promise diagnostics. */
export interface FloatingPromise {
  file: string;
  line: number;
  column: number;
  function: string;
}

export function suggestFloating(finding: FloatingPromise, context: AdviceContext): string {
  const line = lineOf(context, finding.file, finding.line);
  const expression = line?.replace(/;\s*$/, '').replace(/^(?:return|await|void)\s+/, '') ?? 'promise';
  return [
    `The promise created at ${describe(finding)} is never awaited: if it rejects, the error is lost or crashes the process later as an unhandled rejection, far from this line. Await it (or return it to the caller):`,
    code(`await ${expression};`),
    'If fire-and-forget is intended, say so and handle its errors:',
    code(`void ${expression}.catch((error) => console.error('background task failed', error));`),
  ].join('\n');
}

function describe(frame: Pick<Frame, 'file' | 'line' | 'function'>): string {
  const named = frame.function !== '' && frame.function !== '(anonymous)' ? ` in ${frame.function}()` : '';
  return `${path.basename(frame.file)}:${frame.line}${named}`;
}

/** A site in Node's own code: no app frame was on the captured stack (e.g. an event emitted from native code). */
function internalAdvice(site: AdviceSite, where: string): string {
  const api = site.api !== null ? ` in ${site.api}` : '';
  return `The loop was blocked${api} while Node itself was running (${where}), with none of your files on the captured stack: the blocking code ran from a callback Node called (an event listener, a stream or timer callback). Run with LOOPWATCH_MODE=debug to capture more stalls, and look at the stalls' samples for the first frame in your code.`;
}

/** The import or require() at the site was loading (and running the top level of) a module. */
function moduleLoadingAdvice(site: AdviceSite, line: string | null, where: string): string {
  const what = line !== null ? (/\bimport\s*\(/.test(line) ? 'the import()' : /\brequire\s*\(/.test(line) ? 'the require()' : 'the module loading') : 'the module loading';
  const lead =
    site.phase === 'startup'
      ? `Loading modules blocked the event loop at ${where}, during start-up: ${what} there read, compiled and ran the top-level code of the modules it pulled in. This delays readiness (the first request, a health check), not requests once the app is up.`
      : `Loading modules blocked the event loop at ${where} while the app was serving: ${what} there read, compiled and ran the top-level code of the modules it pulled in, and every request waited. Load the module once at start-up (at the top of the file), not inside the code that runs per request.`;
  return [
    lead,
    "To load faster: turn on Node's compile cache (Node 22.1 and later), which skips recompiling unchanged modules on later starts:",
    code("require('node:module').enableCompileCache?.();  // first line of the entry file; or NODE_COMPILE_CACHE=/path/to/cache"),
    'Load rarely used dependencies on first use, and check the heaviest ones (`node --cpu-prof` at start-up shows which module bodies cost the most). A bundle (esbuild, rollup) loads from one file instead of hundreds.',
  ].join('\n');
}

/**
 * A worker-pool snippet for the site's function, and the sentence to put before it when the
 * function must first leave a module with side effects (issue 12, item 9: a worker that required
 * the entry file started the server again). `fn` names the function in the snippet.
 */
function offload(site: AdviceSite, context: AdviceContext, fn = site.function): { move: string | null; snippet: string } {
  const move = moveFirst(site.function, site.file, sideEffectsOf(site.file, context.lines(site.file), context.entryFiles ?? []));
  return { move, snippet: piscinaSnippet({ fn, file: site.file, moveOut: move !== null }) };
}

function cpuAdvice(site: AdviceSite, context: AdviceContext, where: string): string {
  const named = site.function !== '' && site.function !== '(anonymous)';
  const { move, snippet } = offload(site, context);
  const busy = `JavaScript at ${where} kept the CPU busy and the event loop blocked.`;
  return [
    move === null
      ? `${busy} Move ${named ? `${site.function}()` : 'this work'} into a worker pool (piscina), so the loop keeps serving while it runs:`
      : `${move} ${busy} From its new module, run it in a worker pool (piscina), so the loop keeps serving while it runs:`,
    snippet,
    COPY_CAVEAT,
    'Or, if it is a loop over many items, split it into batches that yield to the event loop:',
    chunkingSnippet(),
  ].join('\n');
}

function jsonAdvice(site: AdviceSite, context: AdviceContext, api: string, line: string | null, where: string): string {
  const shown = line !== null ? ` (\`${line}\`)` : '';
  if (api === 'JSON.stringify') {
    return [
      `JSON.stringify of a large value blocked the loop at ${where}${shown}. Send less (paginate, select the fields the client needs), or serialize incrementally: write an array item by item to the response stream, yielding between batches:`,
      code(
        "const { setImmediate: nextTurn } = require('node:timers/promises');",
        "res.write('[');",
        "for (let i = 0; i < items.length; i++) {",
        "  res.write((i ? ',' : '') + JSON.stringify(items[i]));",
        '  if (i % 500 === 499) await nextTurn();',
        '}',
        "res.end(']');",
      ),
    ].join('\n');
  }
  const { move, snippet } = offload(site, context, site.function === '(anonymous)' ? 'parseAndSummarize' : site.function);
  return [
    `JSON.parse of a large document blocked the loop at ${where}${shown}. If the JSON arrives as a stream (request body, file), parse it incrementally with a streaming parser (e.g. the stream-json package) and keep only what you need. Or parse it in a worker that returns only the small result you need${move !== null ? `. ${move} Then:` : ':'}`,
    snippet,
    'Measured: returning the whole parsed object from a worker blocked the loop for longer than parsing it on the main thread (the copy back is itself a parse). Reduce in the worker; return counts, ids or one page.',
  ].join('\n');
}

function regexAdvice(site: AdviceSite, context: AdviceContext, where: string): string {
  const lines = context.lines(site.file);
  const found = lines !== null ? regexOnLine(lines, site.line) : null;
  const pattern = found?.pattern ?? null;
  const nested = pattern !== null ? nestedQuantifier(pattern) : null;
  const declared = found !== null && found.line !== site.line ? ` (defined at line ${found.line})` : '';
  const why =
    nested !== null
      ? `Its group \`${nested}\` is a quantifier inside a quantifier: on an input that almost matches, the engine tries every way of splitting the text between the inner and outer repetition, which is exponential in the input length (catastrophic backtracking).`
      : 'Backtracking regexes get slow when several parts of the pattern can match the same characters (nested or adjacent quantifiers, overlapping alternatives) and the input almost matches.';
  return [
    `A regular expression${pattern !== null ? ` ${pattern}${declared}` : ''} ran for the whole stall at ${where}. ${why}`,
    nested !== null ? `Rewrite it so each character can be matched one way only (for \`${nested}\`, a single quantifier usually says the same thing).` : 'Make alternatives and adjacent quantifiers mutually exclusive.',
    'Bound the input before matching, and for patterns that run on user input use a linear-time engine (npm re2: no backtracking, same syntax for most patterns):',
    code(
      'if (input.length > 1_000) throw new RangeError(\'input too long\');',
      "const RE2 = require('re2');",
      `const pattern = new RE2(${pattern ?? '/your pattern/'});`,
    ),
  ].join('\n');
}

function microtaskAdvice(where: string): string {
  return [
    `A long run of promise continuations (awaits, .then callbacks) at ${where} kept the microtask queue busy: timers and I/O cannot run until that queue is empty, so \`await\` alone never gives the loop a turn. Yield to the event loop in batches:`,
    code(
      "const { setImmediate: nextTurn } = require('node:timers/promises');",
      'for (let i = 0; i < items.length; i++) {',
      '  await handle(items[i]);',
      '  if (i % 1000 === 999) await nextTurn(); // a real turn of the loop, unlike await Promise.resolve()',
      '}',
    ),
    'If each step is CPU work rather than waiting, move the whole loop into a worker pool (piscina).',
  ].join('\n');
}

function dependencyAdvice(site: AdviceSite, context: AdviceContext, line: string | null, where: string): string | null {
  const inside = site.stack.find((frame) => packageOf(frame.file) !== null);
  const pkg = inside !== undefined ? packageOf(inside.file) : null;
  if (pkg === null || inside === undefined) return null;
  const top = `${inside.function} (${pkg}/${path.basename(inside.file)}:${inside.line})`;
  if (site.package !== undefined && site.packageRole === 'main-module') {
    // The process runs the package's own program (tsc, a server's bin): no code of the user's to change.
    return `The time went inside ${site.package}, the program this process runs (its main module is in that package), at ${where}; the top frame was ${top}. None of the stack is your code. A command-line tool that blocks its own loop harms nothing else; if something waits on this process (a dev server, a watch mode, a health check), look for ${site.package}'s options that bound its work (fewer input files, incremental or cached runs, a smaller data set), or run it in a child process.`;
  }
  if (site.package !== undefined && site.packageRole === 'outermost') {
    return [
      `No file of yours was on the stack: ${site.package} ran this from a callback of its own (a route, middleware or listener it registered), at ${where}, and the time went inside ${pkg} (top frame: ${top}). Look at what your code hands ${site.package} (its routes, options and the data it works on), and for options that bound the work (input size, page size, depth). If the work must run, move it behind a route of your own that calls a worker pool (piscina).`,
      COPY_CAVEAT,
    ].join('\n');
  }
  if (packageOf(site.file) !== null) {
    // No app frame in the captured stack: the call from the app is deeper than the frames kept.
    return [
      `The time went inside the dependency ${pkg} (top frame: ${top}). The call from your code is deeper than the captured stack, so look for where your code calls ${pkg} on this path. Look for an async or streaming API in ${pkg}, or options that bound its work (input size, depth, iterations). Otherwise make that call from a worker pool (piscina), in a worker module that requires ${pkg} itself.`,
      COPY_CAVEAT,
    ].join('\n');
  }
  const shown = line !== null ? ` (\`${line}\`)` : '';
  if (line !== null && /\brequire\s*\(|\bimport\s*\(/.test(line)) {
    return `Loading the package ${pkg} blocked the loop at ${where}${shown}: module loading is synchronous. If this runs while serving traffic (a require inside a handler), move it to the top of the module so it happens once at start-up; if ${pkg} is only needed sometimes, load it in the background at start-up (\`setImmediate(() => require('${pkg}'))\`) before the first request needs it.`;
  }
  const { move, snippet } = offload(site, context);
  return [
    `The time went inside the dependency ${pkg} (top frame: ${top}), called from your code at ${where}${shown}. Look for an async or streaming API in ${pkg}, or options that bound its work (input size, depth, iterations). Otherwise call it from a worker pool${move !== null ? `. ${move} Then:` : ':'}`,
    snippet,
    COPY_CAVEAT,
  ].join('\n');
}

/** `lodash` or `@scope/name` for a file inside node_modules (the innermost one), else null. */
export function packageOf(file: string): string | null {
  const parts = file.split(/[\\/]/);
  const index = parts.lastIndexOf('node_modules');
  if (index < 0 || index + 1 >= parts.length) return null;
  const first = parts[index + 1]!;
  if (first.startsWith('@')) return parts[index + 2] !== undefined ? `${first}/${parts[index + 2]}` : null;
  return first;
}
