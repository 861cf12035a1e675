import { describe, expect, it } from 'vitest';
import { isEntryPosition } from '../../../src/stack/entry-position';

const SOURCE = [
  'async function drain(ms) {',
  '  for (let i = 0; Date.now() < end; i++) total += await step(i);',
  '  const handler = async (req, res) => {',
  '  items.map(item => item.id);',
  '  class Jobs { run(limit) { spin(limit); } }',
  '  const x = compute(a, b);',
  '  return compute(a, b)',
  '  while (queue.length) {',
];
const lines = (): readonly string[] => SOURCE;
const at = (line: number, column: number) => isEntryPosition({ filename: '/app/a.js', lineno: line, colno: column }, lines);

describe('isEntryPosition: where V8 reports a frame stopped in its function prologue', () => {
  it('is the opening parenthesis of a parameter list', () => {
    expect(at(1, 21)).toBe(true); // async function drain(
    expect(at(3, 25)).toBe(true); // async (req, res) =>
    expect(at(5, 19)).toBe(true); // run(limit) {
  });

  it('is the lone parameter of an arrow function', () => {
    expect(at(4, 13)).toBe(true); // item => item.id
  });

  it('is not a statement, a call or an unknown file', () => {
    expect(at(2, 3)).toBe(false); // for (
    expect(at(2, 61)).toBe(false); // step(i): a call, not a declaration
    expect(at(6, 20)).toBe(false); // compute(a, b);
    expect(at(7, 17)).toBe(false); // return compute(a, b), no semicolon
    expect(at(8, 9)).toBe(false); // while (queue.length) {
    expect(isEntryPosition({ filename: '/nowhere.js', lineno: 1, colno: 1 }, () => null)).toBe(false);
  });
});
