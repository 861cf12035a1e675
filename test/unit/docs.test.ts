/**
 * The README's tables are a contract with users: every warning code and every environment variable
 * the code knows must be documented, and the docs must not list one the code does not have.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CODES } from '../../src/codes';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

/** First-column backticked names of the table under a `## heading`. */
function tableNames(heading: string): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThan(-1);
  const section = readme.slice(start + 1).split(/\n## /)[0]!;
  return [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]!);
}

describe('README tables match the code', () => {
  it('lists every warning code, and only those', () => {
    expect(tableNames('Warning codes').sort()).toEqual(Object.keys(CODES).sort());
  });

  it('lists every environment variable the options module reads, and only those', () => {
    const source = fs.readFileSync(path.join(root, 'src', 'options.ts'), 'utf8');
    const read = new Set([...source.matchAll(/\(\s*'(LOOPWATCH_[A-Z0-9_]+)'/g)].map((match) => match[1]!));
    expect(read.size).toBeGreaterThan(10);
    expect(tableNames('Options').sort()).toEqual([...read].sort());
  });
});
