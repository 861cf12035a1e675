/**
 * Whether a frame's position is its function's entry rather than a statement in its body. V8
 * checks for interrupts in a function's prologue, and reports a frame stopped there at the
 * function's start position: the opening parenthesis of its parameter list (or the lone
 * parameter of `x => ...`). An async function resumed after an `await` goes through its prologue
 * again, so during a long chain of awaits most native captures land there. The inspector's pause
 * never does: it stops at the next statement.
 */
import { fileURLToPath } from 'node:url';
import { readSourceLines } from './source';

/** `(` opening a parameter list: after a name, `function`, `async` or `=`/`:` (methods, arrows, properties). */
/** `if (x) {` and its kind look like a declaration's parameters, and are not. */
const CONTROL_KEYWORD = /\b(?:if|while|for|switch|catch|with)\s*$/;
const PARAMETER_LIST = /(?:[\w$\]]|\bfunction\*?|\basync)\s*$|[=:,(]\s*(?:async\s*)?$/;

export function isEntryPosition(frame: { filename: string; lineno: number; colno: number }, readLines = readSourceLines): boolean {
  // Runs in the capture thread, which stays small: no source maps here (the position is V8's own).
  let file = frame.filename;
  try {
    if (file.startsWith('file://')) file = fileURLToPath(file);
  } catch {
    return false;
  }
  const lines = readLines(file);
  const line = lines?.[frame.lineno - 1];
  if (line === undefined || frame.colno < 1) return false;
  const at = line.slice(frame.colno - 1);
  const before = line.slice(0, frame.colno - 1);
  // A parameter list is followed by a body (`{`) or an arrow; a call is not (`f(a, b);`, `f(a) + 1`).
  if (at.startsWith('(')) return PARAMETER_LIST.test(before) && !CONTROL_KEYWORD.test(before) && /^\([^()]*\)\s*(?:=>|\{)/.test(at);
  // `x => ...`: the lone parameter.
  return /^[A-Za-z_$][\w$]*\s*=>/.test(at);
}
