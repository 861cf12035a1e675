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

  it('lists every environment variable the options module and the code cache read, and only those', () => {
    const source = fs.readFileSync(path.join(root, 'src', 'options.ts'), 'utf8');
    const read = new Set([...source.matchAll(/\(\s*'(LOOPWATCH_[A-Z0-9_]+)'/g)].map((match) => match[1]!));
    // The code cache is chosen before the options are read: its loader reads its one variable itself.
    const codeCache = fs.readFileSync(path.join(root, 'src', 'code-cache-folder.ts'), 'utf8');
    read.add(/const ENV = '(LOOPWATCH_[A-Z0-9_]+)'/.exec(codeCache)![1]!);
    expect(read.size).toBeGreaterThan(10);
    expect(tableNames('Options').sort()).toEqual([...read].sort());
  });
});

/** Every .ts file under src/ and test/. */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'fixtures' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('documents cited by the code', () => {
  it('exist in the repository, with the section a comment names', () => {
    const citations = sourceFiles(path.join(root, 'src'))
      .concat(sourceFiles(path.join(root, 'test')))
      .flatMap((file) => [...fs.readFileSync(file, 'utf8').matchAll(/docs\/([\w-]+\.md)(?:, "([^"]+)")?/g)].map((match) => ({ file, doc: match[1]!, section: match[2] })));
    expect(citations.length).toBeGreaterThan(10);
    for (const { file, doc, section } of citations) {
      const docPath = path.join(root, 'docs', doc);
      expect(fs.existsSync(docPath), `${path.relative(root, file)} cites docs/${doc}`).toBe(true);
      if (section !== undefined) expect(fs.readFileSync(docPath, 'utf8'), `${path.relative(root, file)} cites docs/${doc}, "${section}"`).toContain(`\n## ${section}\n`);
    }
  });

  it('cite nothing outside it', () => {
    for (const file of sourceFiles(path.join(root, 'src'))) expect(fs.readFileSync(file, 'utf8'), path.relative(root, file)).not.toMatch(/DESIGN\.md|STYLE\.md/);
  });
});
