/**
 * Whether requiring a file would do more than define things: start a server, connect, start a
 * timer. A worker pool's worker file requires the module that holds the function it runs, so when
 * that module is the app's entry file (which calls `app.listen`) every worker would start the app
 * again. The advice then says to move the function into a module of its own first.
 *
 * A heuristic reading of the source, not an analysis: it misses an effect inside an IIFE or a
 * helper (`main()` that listens), and can flag a harmless line. A miss leaves advice that would
 * break the app; a false alarm only adds a step that is harmless anyway (a function in a module of
 * its own). So it errs towards flagging, and the advice says the line "looks like" an effect.
 */
import * as path from 'node:path';

export interface SideEffects {
  /** The file is the one the app was started with (`node server.js`). */
  entry: boolean;
  /** The first top-level line that looks like it starts something, or null. */
  effect: { line: number; text: string; does: string } | null;
}

/**
 * Calls that start something when they run at a module's top level. Matched against code with
 * strings and comments blanked, so `'listen('` in a log message does not count.
 */
const EFFECTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\.\s*listen\s*\(/, 'listens'], // app.listen(, server.listen(, http.createServer(h).listen(
  [/\bcreateServer\s*\(/, 'creates a server'], // http.createServer(, net.createServer(
  [/\.\s*connect\s*\(/, 'connects'], // mongoose.connect(, client.connect(, net.connect(
  [/\b(?:setInterval|setTimeout)\s*\(/, 'starts a timer'],
  [/\bprocess\s*\.\s*(?:on|once)\s*\(/, 'adds a process listener'],
  [/\bnew\s+Worker\s*\(/, 'starts a worker thread'],
  [/\bcluster\s*\.\s*fork\s*\(/, 'forks the process'],
];

/** `if (require.main === module)` and its ESM spellings: what follows runs only when the file is the entry. */
const MAIN_GUARD = /\brequire\.main\s*===?\s*module\b|\bmodule\s*===?\s*require\.main\b|\bimport\.meta\.main\b|\bimport\.meta\.(?:url|filename)\b[^;]*\bprocess\.argv\b|\bprocess\.argv\b[^;]*\bimport\.meta\.(?:url|filename)\b/;

/** The code before an effect on the same line makes it a function body, not top-level code: `const start = () => app.listen(3000)`. */
const DEFERRED = /=>|\bfunction\b/;

/**
 * `lines` are the file's source lines (null when unreadable: only the entry test is left);
 * `entryFiles`, the paths the app's entry file goes by (src/stack/source.ts, `resolveEntry`).
 * An entry file with a main guard (`if (require.main === module) app.listen(...)`) was written to be
 * required too: in a worker its guarded code does not run, so only its other top-level lines count.
 */
export function sideEffectsOf(file: string, lines: readonly string[] | null, entryFiles: readonly string[]): SideEffects {
  const guarded = lines !== null && lines.some((line) => MAIN_GUARD.test(line));
  return { entry: entryFiles.includes(file) && !guarded, effect: lines !== null ? topLevelEffect(lines) : null };
}

export function hasSideEffects(effects: SideEffects): boolean {
  return effects.entry || effects.effect !== null;
}

/**
 * A top-level line that calls one of EFFECTS, skipping what a main guard protects: the first line
 * of the first kind in EFFECTS' order (a server that listens says more than one that is created).
 * Depth is counted over the file with strings, template literals and comments blanked; a brace
 * inside a regex literal can throw the count off, a known limit of reading without a parser.
 */
export function topLevelEffect(lines: readonly string[]): SideEffects['effect'] {
  const state: ScanState = { depth: 0, inBlockComment: false, inTemplate: false };
  const scanned: Array<{ code: string; depthAt: number[] } | null> = [];
  let guardedNext = false;
  for (const raw of lines) {
    const line = blank(raw, state);
    const guarded = guardedNext;
    guardedNext = false;
    if (MAIN_GUARD.test(line.code)) {
      // `if (require.main === module)` with its statement on the next line and no braces.
      guardedNext = /\)\s*$/.test(line.code);
      scanned.push(null);
    } else scanned.push(guarded ? null : line);
  }
  for (const [pattern, does] of EFFECTS) {
    for (let index = 0; index < scanned.length; index++) {
      const line = scanned[index];
      const match = line != null ? pattern.exec(line.code) : null;
      if (line == null || match === null || line.depthAt[match.index] !== 0 || DEFERRED.test(line.code.slice(0, match.index))) continue;
      const text = lines[index]!.trim();
      return { line: index + 1, text: text.length > 80 ? `${text.slice(0, 79)}…` : text, does };
    }
  }
  return null;
}

interface ScanState {
  depth: number;
  inBlockComment: boolean;
  inTemplate: boolean;
}

/** The line with strings and comments replaced by spaces, and the brace depth before each character. */
function blank(line: string, state: ScanState): { code: string; depthAt: number[] } {
  let code = '';
  const depthAt: number[] = [];
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    depthAt.push(state.depth);
    if (state.inBlockComment) {
      if (c === '*' && line[i + 1] === '/') {
        state.inBlockComment = false;
        code += '  ';
        depthAt.push(state.depth);
        i++;
      } else code += ' ';
      continue;
    }
    if (state.inTemplate || quote !== null) {
      if (c === '\\') {
        code += '  ';
        depthAt.push(state.depth);
        i++;
      } else if ((state.inTemplate && c === '`') || c === quote) {
        state.inTemplate = false;
        quote = null;
        code += ' ';
      } else code += ' ';
      continue;
    }
    if (c === '/' && line[i + 1] === '/') break;
    if (c === '/' && line[i + 1] === '*') {
      state.inBlockComment = true;
      code += '  ';
      depthAt.push(state.depth);
      i++;
      continue;
    }
    if (c === '`') state.inTemplate = true;
    else if (c === "'" || c === '"') quote = c;
    else if (c === '{') state.depth++;
    else if (c === '}') state.depth = Math.max(0, state.depth - 1);
    code += c === '`' || c === "'" || c === '"' ? ' ' : c;
  }
  return { code, depthAt };
}

/**
 * The module the function moves into: `orders-work.js` next to `orders.js`, keeping the file's
 * extension so TypeScript stays TypeScript.
 */
export function ownModuleFor(file: string): string {
  const ext = path.extname(file);
  return path.join(path.dirname(file), `${path.basename(file, ext)}-work${ext}`);
}
