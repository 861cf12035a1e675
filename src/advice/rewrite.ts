/**
 * Rewrites the user's own blocking line into its non-blocking form, so the advice is code they can
 * paste rather than a template: `const d = fs.readFileSync(p, 'utf8');` becomes
 * `const d = await fs.promises.readFile(p, 'utf8');`.
 */

/**
 * Replaces the call `[receiver.]name(args)` on the line with `replacement(args)`, keeping the
 * arguments as written. Null when the line does not call `name` (the caller falls back to a template).
 */
export function rewriteCall(line: string, name: string, replacement: (args: string) => string): string | null {
  const call = new RegExp(`(?:[A-Za-z_$][\\w$]*\\s*\\.\\s*)?\\b${name}\\s*\\(`).exec(line);
  if (call === null) return null;
  const open = call.index + call[0].length - 1;
  const close = matchingParen(line, open);
  if (close < 0) return null;
  const rest = line.slice(close + 1);
  let replaced = replacement(line.slice(open + 1, close));
  // `await f(x).length` would await the length: parenthesize when the result is used in place.
  if (replaced.startsWith('await ') && /^\s*[.[]/.test(rest)) replaced = `(${replaced})`;
  return line.slice(0, call.index) + replaced + rest;
}

/** The arguments of the call to `name` on the line, as written, or null. */
export function callArgs(line: string | null, name: string): string | null {
  if (line === null) return null;
  const found: string[] = [];
  rewriteCall(line, name, (args) => {
    found.push(args);
    return '';
  });
  return found[0] ?? null;
}

/** The index of the `)` closing the `(` at `open`, skipping strings; -1 when it is on a later line. */
function matchingParen(text: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i++) {
    const char = text[i]!;
    if (quote !== null) {
      if (char === '\\') i++;
      else if (char === quote) quote = null;
      continue;
    }
    if (char === '"' || char === "'" || char === '`') quote = char;
    else if (char === '(' || char === '[' || char === '{') depth++;
    else if (char === ')' || char === ']' || char === '}') {
      depth--;
      if (depth === 0) return char === ')' ? i : -1;
    }
  }
  return -1;
}
