/**
 * The guarantee checked here: loopwatch never evaluates anything, least of all something derived from
 * the app's data. It pauses a thread and reads its call frames (function, file, line), and that is
 * all it asks the inspector for: no Runtime.evaluate, no Debugger.evaluateOnCallFrame, no
 * Runtime.callFunctionOn (which would run code inside the app, with its values at hand), and no
 * eval / new Function / vm of its own. Scans the sources and the compiled code that actually runs
 * (dist/src, so run `npm run build` first), comments included: a mention is a reason to look.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const FORBIDDEN: Array<[string, RegExp]> = [
  ['Runtime.evaluate', /Runtime\.evaluate/],
  ['Debugger.evaluateOnCallFrame', /evaluateOnCallFrame/],
  ['Runtime.callFunctionOn', /Runtime\.callFunctionOn/],
  ['Runtime.compileScript / runScript', /Runtime\.(compileScript|runScript)/],
  ['eval(', /(^|[^\w$.])eval\s*\(/],
  ['new Function(', /new\s+Function\s*\(/],
  ['node:vm', /require\(\s*['"](node:)?vm['"]\s*\)|from\s+['"](node:)?vm['"]/],
];

/**
 * The one module allowed node:vm: it compiles loopwatch's own bundle files, read from disk, exactly
 * as `require` would, only with the bytecode cache `require` cannot take (src/code-cache.ts). Nothing
 * of the app's reaches it; the test below checks that it uses `Script` and nothing else of vm.
 */
const LOADER = ['src/code-cache.ts', 'dist/src/code-cache.js', 'dist/src/code-cache-loader.js', 'dist/src/watchdog-entry.js'];

function filesUnder(dir: string, extension: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith(extension) && !file.endsWith('.d.ts')).map((file) => path.join(dir, file));
}

describe('the agent never evaluates code', () => {
  const sources = filesUnder(path.join(root, 'src'), '.ts');
  const compiled = filesUnder(path.join(root, 'dist', 'src'), '.js');

  it('has something to scan (src/ and a built dist/src/)', () => {
    expect(sources.length).toBeGreaterThan(20);
    expect(compiled.length, 'dist/src is missing: run npm run build').toBeGreaterThan(20);
  });

  it('no evaluate / callFunctionOn / eval / new Function / vm in src/**/*.ts or dist/src/**/*.js', () => {
    const found: string[] = [];
    for (const file of [...sources, ...compiled]) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, index) => {
        for (const [name, pattern] of FORBIDDEN) {
          if (name === 'node:vm' && LOADER.includes(path.relative(root, file))) continue;
          if (pattern.test(line)) found.push(`${path.relative(root, file)}:${index + 1}: ${name}: ${line.trim()}`);
        }
      });
    }
    expect(found).toEqual([]);
  });

  it("the bundle loader takes only vm's Script, and compiles only the file it was given", () => {
    const loader = fs.readFileSync(path.join(root, LOADER[0]!), 'utf8');
    expect(loader).toContain("import { Script } from 'node:vm';");
    expect([...loader.matchAll(/new Script\(([^,]+),/g)].map((match) => match[1])).toEqual(['WRAPPER_HEAD + source + WRAPPER_TAIL']);
    expect(loader).toContain("const source = readFileSync(file, 'utf8');");
    expect(loader).not.toMatch(/runInNewContext|runInContext|compileFunction|SourceTextModule/);
  });

  it('the patterns do catch what they are meant to', () => {
    const sample = ["session.post('Runtime.evaluate', { expression })", "post('Debugger.evaluateOnCallFrame')", "'Runtime.callFunctionOn'", 'eval(code)', 'new Function("return 1")', "require('node:vm')"];
    for (const text of sample) expect(FORBIDDEN.some(([, pattern]) => pattern.test(text)), text).toBe(true);
    expect(FORBIDDEN.some(([, pattern]) => pattern.test('retrieval(x); medieval (y)')), 'words ending in "eval"').toBe(false);
  });
});
