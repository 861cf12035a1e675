/**
 * Finds the regular expression a source line runs, and says why it can backtrack. Heuristic on
 * purpose: the report only has the line, not a parse tree, and a wrong guess costs one sentence of
 * advice, so a line counts as "running a regex" only when the regex is certain (a literal, a
 * `new RegExp`, or an identifier the same file binds to a literal).
 */

/** A regex literal: `/body/flags`, where body has no unescaped `/` outside a class. */
const LITERAL = /\/((?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\[\n*])(?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\[\n])*)\/([dgimsuyv]*)/;
const METHOD_ON_IDENT = /([A-Za-z_$][\w$]*)\s*\.\s*(?:test|exec)\s*\(/;
const IDENT_IN_STRING_METHOD = /\.\s*(?:match|matchAll|replace|replaceAll|split|search)\s*\(\s*([A-Za-z_$][\w$]*)\s*[,)]/;
const STRING_METHOD = /\.\s*(?:match|matchAll|replace|replaceAll|split|search)\s*\(/;

export interface FoundRegex {
  /** `/^(a+)+$/` as written in the source. */
  pattern: string;
  /** 1-based line the pattern is written on. */
  line: number;
}

/** The regex the given 1-based line runs, when it can be read from the source. */
export function regexOnLine(lines: readonly string[], line: number): FoundRegex | null {
  const text = lines[line - 1];
  if (text === undefined) return null;
  const code = stripLineComment(text);
  if (/\.\s*(?:test|exec)\s*\(/.test(code) || STRING_METHOD.test(code)) {
    const literal = literalIn(code);
    if (literal !== null) return { pattern: literal, line };
  }
  const identifier = METHOD_ON_IDENT.exec(code)?.[1] ?? IDENT_IN_STRING_METHOD.exec(code)?.[1];
  if (identifier === undefined) return null;
  return boundLiteral(lines, identifier, line);
}

/** Whether the pattern has a quantified group that itself contains a quantifier: `(a+)+`, `(\w*)*`, `(a|a)*`. */
export function nestedQuantifier(pattern: string): string | null {
  const source = pattern.replace(/^\/|\/[a-z]*$/g, '');
  // Escapes and classes become same-length placeholders, so indexes still point into `source`.
  const body = source.replace(/\\./g, 'xx').replace(/\[[^\]]*\]/g, (cls) => 'x'.repeat(cls.length));
  const stack: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const char = body[i];
    if (char === '(') stack.push(i);
    else if (char === ')') {
      const start = stack.pop();
      if (start === undefined) continue;
      const next = body[i + 1];
      const quantified = next === '+' || next === '*' || (next === '{' && /^\{\d*,\d*\}/.test(body.slice(i + 1)));
      const inner = body.slice(start + 1, i);
      if (quantified && /[+*]|\{\d*,\d*\}/.test(inner)) return source.slice(start, i + 2);
      if (quantified && inner.includes('|')) return source.slice(start, i + 2);
    }
  }
  return null;
}

function literalIn(code: string): string | null {
  const newRegExp = /new\s+RegExp\s*\(\s*(['"`])((?:\\.|(?!\1).)*)\1/.exec(code);
  if (newRegExp !== null) return `/${newRegExp[2]!.replace(/\\\\/g, '\\')}/`;
  // A literal follows an operator, an opening bracket or a keyword; after an identifier, a number
  // or `)` a slash is division.
  for (let i = 0; i < code.length; i++) {
    if (code[i] !== '/' || code[i + 1] === '/' || code[i + 1] === '*') continue;
    const before = code.slice(0, i).trimEnd();
    if (before !== '' && !/[=(,:!&|?;{}[]$|\b(?:return|typeof|case)$/.test(before)) continue;
    const match = LITERAL.exec(code.slice(i));
    if (match !== null && match.index === 0) return match[0];
  }
  return null;
}

function boundLiteral(lines: readonly string[], identifier: string, useLine: number): FoundRegex | null {
  const binding = new RegExp(`(?:const|let|var)\\s+${identifier.replace(/\$/g, '\\$')}\\s*=|\\b${identifier.replace(/\$/g, '\\$')}\\s*[:=](?!=)`);
  // The nearest binding above the use wins, as scoping usually does; then anywhere in the file.
  const order = [...down(useLine - 1, 0), ...up(useLine, lines.length - 1)];
  for (const index of order) {
    const text = stripLineComment(lines[index] ?? '');
    const bound = binding.exec(text);
    if (bound === null) continue;
    const literal = literalIn(text.slice(bound.index + bound[0].length - 1));
    if (literal !== null) return { pattern: literal, line: index + 1 };
  }
  return null;
}

/** Indexes from `from` down to `to`, inclusive. */
function down(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i >= to; i--) out.push(i);
  return out;
}

/** Indexes from `from` up to `to`, inclusive. */
function up(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

function stripLineComment(text: string): string {
  // Good enough for advice: `//` inside a string or a regex is rare on a blocking line.
  const index = text.search(/(^|[^:\\])\/\/(?![^[]*\])/);
  if (index < 0) return text;
  return text.slice(0, index + (text[index] === '/' ? 0 : 1));
}
