import { describe, expect, it } from 'vitest';
import { nestedQuantifier, regexOnLine } from '../../../src/advice/regex';

describe('regexOnLine', () => {
  it('a literal on the line itself', () => {
    expect(regexOnLine(['if (/^(a+)+$/.test(s)) ok();'], 1)).toEqual({ pattern: '/^(a+)+$/', line: 1 });
    expect(regexOnLine(["const parts = text.split(/\\s*,\\s*/g);"], 1)?.pattern).toBe('/\\s*,\\s*/g');
  });

  it('an identifier bound to a literal elsewhere in the file', () => {
    const lines = ['const pattern = /^(a+)+$/;', '', 'const matched = pattern.test(input);'];
    expect(regexOnLine(lines, 3)).toEqual({ pattern: '/^(a+)+$/', line: 1 });
  });

  it('new RegExp with a string', () => {
    expect(regexOnLine(["new RegExp('(x+)+y').test(s)"], 1)?.pattern).toBe('/(x+)+y/');
  });

  it('not a regex: division, string replace, a method on something else', () => {
    expect(regexOnLine(['const ratio = total / count / 2;'], 1)).toBeNull();
    expect(regexOnLine(["const s = name.replace('a', 'b');"], 1)).toBeNull();
    expect(regexOnLine(['const ok = validator.test(input);'], 1)).toBeNull();
  });
});

describe('nestedQuantifier', () => {
  it('finds a quantified group holding a quantifier, quoted from the original pattern', () => {
    expect(nestedQuantifier('/^(a+)+$/')).toBe('(a+)+');
    expect(nestedQuantifier('/^(\\w+\\s?)+$/')).toBe('(\\w+\\s?)+');
    expect(nestedQuantifier('/^(a|aa)*$/')).toBe('(a|aa)*');
  });

  it('none in a linear pattern', () => {
    expect(nestedQuantifier('/^\\d{3}-\\d{4}$/')).toBeNull();
    expect(nestedQuantifier('/^(ab)+$/')).toBeNull();
  });
});
