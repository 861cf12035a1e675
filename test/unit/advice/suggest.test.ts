import { describe, expect, it } from 'vitest';
import { packageOf, suggest, suggestFloating } from '../../../src/advice/suggest';
import type { AdviceContext, AdviceSite } from '../../../src/advice/types';

/** Sources in memory: file -> text. */
function sources(files: Record<string, string>): AdviceContext {
  return { lines: (file) => (file in files ? files[file]!.split('\n') : null) };
}

function site(overrides: Partial<AdviceSite> & Pick<AdviceSite, 'file' | 'line'>): AdviceSite {
  return { column: 1, function: 'handler', api: null, kind: 'cpu', stack: [], ...overrides };
}

const APP = '/srv/app/src/orders.js';

describe('sync API advice rewrites the user line into its non-blocking form', () => {
  it('fs.readFileSync -> await fs.promises.readFile with the same arguments, and the pool caveat', () => {
    const text = suggest(site({ file: APP, line: 2, api: 'fs.readFileSync', kind: 'sync-api' }), sources({ [APP]: "function load(p) {\n  const text = fs.readFileSync(p, 'utf8');\n}" }));
    expect(text).toContain("const text = await fs.promises.readFile(p, 'utf8');");
    expect(text).toContain('4 threads');
    expect(text).toMatch(/fs, dns\.lookup, crypto and zlib/);
  });

  it('fs.existsSync -> fs.promises.access on the same path', () => {
    const text = suggest(site({ file: APP, line: 1, api: 'fs.existsSync', kind: 'sync-api' }), sources({ [APP]: 'if (fs.existsSync(cachePath)) load();' }));
    expect(text).toContain('await fs.promises.access(cachePath)');
  });

  it('a template when the source cannot be read', () => {
    const text = suggest(site({ file: APP, line: 1, api: 'fs.statSync', kind: 'sync-api' }), sources({}));
    expect(text).toContain('await fs.promises.stat(path)');
  });

  it('crypto.pbkdf2Sync -> promisified crypto.pbkdf2', () => {
    const text = suggest(
      site({ file: APP, line: 1, api: 'crypto.pbkdf2Sync', kind: 'sync-api' }),
      sources({ [APP]: "return crypto.pbkdf2Sync(pw, salt, 1e5, 64, 'sha512').toString('hex');" }),
    );
    expect(text).toContain('const pbkdf2Async = promisify(crypto.pbkdf2);');
    // Parenthesized: `await f().toString()` would await the string.
    expect(text).toContain("return (await pbkdf2Async(pw, salt, 1e5, 64, 'sha512')).toString('hex');");
  });

  it('crypto.randomBytes without a callback -> the promisified callback form', () => {
    const text = suggest(site({ file: APP, line: 1, api: 'crypto.randomBytes', kind: 'sync-api' }), sources({ [APP]: 'const token = crypto.randomBytes(32);' }));
    expect(text).toContain('promisify(crypto.randomBytes)');
    expect(text).toContain('const token = await randomBytesAsync(32);');
  });

  it('zlib.gzipSync -> promisified zlib.gzip and a createGzip pipeline (Node 20 has no zlib/promises)', () => {
    const text = suggest(site({ file: APP, line: 1, api: 'zlib.gzipSync', kind: 'sync-api' }), sources({ [APP]: 'const body = zlib.gzipSync(json);' }));
    expect(text).toContain('promisify(zlib.gzip)');
    expect(text).toContain('const body = await gzipAsync(json);');
    expect(text).toContain('zlib.createGzip()');
    expect(text).toContain("require('node:stream/promises')");
  });

  it('child_process.execSync -> exec, execFileSync -> execFile, spawnSync -> spawn', () => {
    const exec = suggest(site({ file: APP, line: 1, api: 'child_process.execSync', kind: 'sync-api' }), sources({ [APP]: "const rev = execSync('git rev-parse HEAD');" }));
    expect(exec).toContain("const rev = (await execAsync('git rev-parse HEAD')).stdout;");
    const execFile = suggest(site({ file: APP, line: 1, api: 'child_process.execFileSync', kind: 'sync-api' }), sources({ [APP]: "const out = cp.execFileSync('ls', ['-l']);" }));
    expect(execFile).toContain("const out = (await execFileAsync('ls', ['-l'])).stdout;");
    const spawn = suggest(site({ file: APP, line: 1, api: 'child_process.spawnSync', kind: 'sync-api' }), sources({ [APP]: "spawnSync('make', ['all']);" }));
    expect(spawn).toContain("const child = spawn('make', ['all'], { stdio: 'inherit' });");
    expect(spawn).toContain("await once(child, 'exit')");
  });
});

describe('CPU, JSON, regex, microtasks, dependency advice', () => {
  it('CPU-bound code: a piscina snippet naming the function and its module, and the copy caveat', () => {
    const text = suggest(site({ file: APP, line: 3, function: 'summarize' }), sources({ [APP]: 'a\nb\nfor (const o of orders) total += o.price;' }));
    expect(text).toContain("const { summarize } = require('./orders');");
    expect(text).toContain("require.resolve('./orders.worker.js')");
    expect(text).toMatch(/copied/);
    expect(text).toContain('setImmediate');
  });

  it('CPU-bound TypeScript: import syntax and the compiled worker file', () => {
    const text = suggest(site({ file: '/srv/app/src/report.ts', line: 1, function: 'render' }), sources({}));
    expect(text).toContain("import { render } from './report.js';");
    expect(text).toContain("new URL('./report.worker.js', import.meta.url)");
  });

  it('large JSON.parse: streaming parser, or a worker returning a small result (measured)', () => {
    const text = suggest(site({ file: APP, line: 1, api: 'JSON.parse', kind: 'json', function: 'loadCatalog' }), sources({ [APP]: 'const all = JSON.parse(body);' }));
    expect(text).toContain('stream-json');
    expect(text).toContain('loadCatalog');
    expect(text).toMatch(/returning the whole parsed object from a worker blocked the loop for longer/);
  });

  it('regex: the pattern from its declaration, the nested quantifier, bounds and re2', () => {
    const file = '/srv/app/validate.js';
    const text = suggest(site({ file, line: 3, kind: 'regex' }), sources({ [file]: 'const EMAIL = /^([a-z0-9]+[._-]?)+@x\\.com$/;\n\nreturn EMAIL.test(input);' }));
    expect(text).toContain('/^([a-z0-9]+[._-]?)+@x\\.com$/');
    expect(text).toContain('(defined at line 1)');
    expect(text).toContain('`([a-z0-9]+[._-]?)+`');
    expect(text).toContain('input.length');
    expect(text).toContain("require('re2')");
  });

  it('microtasks: yield with setImmediate in batches', () => {
    const text = suggest(site({ file: APP, line: 1, kind: 'microtasks' }), sources({ [APP]: 'for (const x of xs) total += await x;' }));
    expect(text).toContain("require('node:timers/promises')");
    expect(text).toMatch(/await nextTurn\(\)/);
  });

  it('dependency: names the package and the app line that called it', () => {
    const dep = { file: '/srv/app/node_modules/@acme/pdf/lib/render.js', line: 40, column: 3, function: 'layout' };
    const text = suggest(
      site({ file: APP, line: 1, kind: 'dependency', function: 'exportPdf', stack: [dep, { file: APP, line: 1, column: 9, function: 'exportPdf' }] }),
      sources({ [APP]: 'const pdf = render(doc);' }),
    );
    expect(text).toContain('@acme/pdf');
    expect(text).toContain('orders.js:1 in exportPdf()');
    expect(text).toContain('`const pdf = render(doc);`');
  });

  it("dependency with no app frame: the program's own package, or the package that ran its own callback", () => {
    const tsc = { file: '/x/node_modules/typescript/lib/_tsc.js', line: 608, column: 3, function: 'lastOrUndefined' };
    const own = suggest(site({ ...tsc, kind: 'dependency', package: 'typescript', packageRole: 'main-module', stack: [tsc] }), sources({}));
    expect(own).toContain('inside typescript, the program this process runs');
    expect(own).toContain('None of the stack is your code');
    expect(own).not.toContain('callback Node called');
    const leaf = { file: '/srv/app/node_modules/search/index.js', line: 3, column: 1, function: 'score' };
    const route = { file: '/srv/app/node_modules/router/index.js', line: 10, column: 5, function: 'handle' };
    const outer = suggest(site({ ...route, kind: 'dependency', package: 'router', packageRole: 'outermost', stack: [leaf, route] }), sources({}));
    expect(outer).toContain('No file of yours was on the stack: router ran this from a callback of its own');
    expect(outer).toContain('the time went inside search (top frame: score (search/index.js:3))');
  });

  it('Atomics.wait on the main thread -> Atomics.waitAsync', () => {
    const text = suggest(site({ file: APP, line: 1 }), sources({ [APP]: 'Atomics.wait(flags, 0, 0, 500);' }));
    expect(text).toContain('(await Atomics.waitAsync(flags, 0, 0, 500).value);');
  });

  it('a site in Node internals gets no worker snippet for a node: module', () => {
    const text = suggest(site({ file: 'node:events', line: 524, function: 'emit', api: 'JSON.parse', kind: 'json' }), sources({}));
    expect(text).not.toContain("require('./node:events')");
    expect(text).toMatch(/none of your files/);
  });
});

describe('floating promises and package names', () => {
  it('await it, or void it with a .catch', () => {
    const text = suggestFloating({ file: APP, line: 1, column: 3, function: 'save' }, sources({ [APP]: '  audit.write(order);' }));
    expect(text).toContain('await audit.write(order);');
    expect(text).toContain('void audit.write(order).catch(');
  });

  it('packageOf reads plain and scoped names from the innermost node_modules', () => {
    expect(packageOf('/a/node_modules/lodash/index.js')).toBe('lodash');
    expect(packageOf('/a/node_modules/x/node_modules/@scope/pkg/dist/i.js')).toBe('@scope/pkg');
    expect(packageOf('/a/src/index.js')).toBeNull();
  });
});

describe('module loading advice', () => {
  const text = "const ts = require('typescript');";
  it('at start-up: says it delays readiness only, and how to load faster (compile cache, lazy loading, bundling)', () => {
    const advice = suggest(site({ file: APP, line: 1, kind: 'module-loading', phase: 'startup', api: 'fs.realpathSync' }), sources({ [APP]: text }));
    expect(advice).toMatch(/^Loading modules blocked the event loop at orders\.js:1 in handler\(\), during start-up: the require\(\)/);
    expect(advice).toContain('enableCompileCache');
    expect(advice).toContain('NODE_COMPILE_CACHE');
    // Never the loader's fs call rewritten as if the app had made it.
    expect(advice).not.toContain('fs.promises');
  });

  it('at runtime: load the module once at start-up', () => {
    const advice = suggest(site({ file: APP, line: 1, kind: 'module-loading', phase: 'runtime' }), sources({ [APP]: text }));
    expect(advice).toContain('while the app was serving');
    expect(advice).toContain('Load the module once at start-up');
  });
});


describe('worker-pool advice never has a worker require a module with side effects', () => {
  const server = '/srv/app/server.js';
  const entry = [
    "const express = require('express');",
    'function summarize(orders) {',
    '  let total = 0;',
    '  for (const o of orders) total += o.price;',
    '  return total;',
    '}',
    'const app = express();',
    "app.get('/total', (req, res) => res.json(summarize(req.body)));",
    'app.listen(3000);',
  ].join('\n');

  it('an entry that calls app.listen: move the function into its own module first, and the worker requires that module', () => {
    const context = { ...sources({ [server]: entry }), entryFiles: [server] };
    const text = suggest(site({ file: server, line: 4, function: 'summarize' }), context);
    expect(text).toMatch(
      /^Move summarize\(\) out of server\.js into a module of its own first, server-work\.js next to it: server\.js is the file the app was started with, and line 9 \(`app\.listen\(3000\);`\) looks like it listens at the module's top level/,
    );
    expect(text).toContain('module.exports = { summarize };');
    expect(text).toContain("in server.js, where summarize was: const { summarize } = require('./server-work');");
    expect(text).toContain("const { summarize } = require('./server-work');\nmodule.exports = (input) => summarize(input);");
    expect(text).toContain("require.resolve('./server-work.worker.js')");
    expect(text).not.toContain("require('./server')");
  });

  it('the entry file by name alone, when its source cannot be read', () => {
    const text = suggest(site({ file: server, line: 4, function: 'summarize' }), { lines: () => null, entryFiles: [server] });
    expect(text).toMatch(/^Move summarize\(\) out of server\.js into a module of its own first, server-work\.js next to it: server\.js is the file the app was started with, so a worker that required it would start the app again/);
  });

  it('a module with setInterval at its top level, in TypeScript: the worker imports the new module', () => {
    const file = '/srv/app/src/metrics.ts';
    const source = 'const samples: number[] = [];\nsetInterval(() => samples.splice(0), 60_000);\nexport function percentile(p: number): number {\n  return [...samples].sort((a, b) => a - b)[0]!;\n}';
    const text = suggest(site({ file, line: 4, function: 'percentile' }), sources({ [file]: source }));
    expect(text).toMatch(/^Move percentile\(\) out of metrics\.ts into a module of its own first, metrics-work\.ts next to it: in metrics\.ts, line 2 \(`setInterval\(/);
    expect(text).toContain('starts a timer');
    expect(text).toContain('export { percentile };');
    expect(text).toContain("import { percentile } from './metrics-work.js';\nexport default");
    expect(text).toContain("new URL('./metrics-work.worker.js', import.meta.url)");
    expect(text).not.toContain("from './metrics.js'");
  });

  it('an anonymous function in the entry: its body becomes a named function in the new module', () => {
    const text = suggest(site({ file: server, line: 8, function: '(anonymous)' }), { ...sources({ [server]: entry }), entryFiles: [server] });
    expect(text).toMatch(/^Move this function out of server\.js/);
    expect(text).toContain('move the body of the anonymous function at server.js as a function `work` here');
  });

  it('JSON.parse and dependency advice move the function first too, before their snippets', () => {
    const context = { ...sources({ [server]: entry.replace('total += o.price', 'total += JSON.parse(o).price') }), entryFiles: [server] };
    const json = suggest(site({ file: server, line: 4, api: 'JSON.parse', kind: 'json', function: 'summarize' }), context);
    expect(json).toContain('Move summarize() out of server.js into a module of its own first');
    expect(json).toContain("require('./server-work')");
    const dep = { file: '/srv/app/node_modules/fast-sum/index.js', line: 3, column: 1, function: 'sum' };
    const dependency = suggest(site({ file: server, line: 4, kind: 'dependency', function: 'summarize', stack: [dep] }), context);
    expect(dependency).toContain('Move summarize() out of server.js into a module of its own first');
    expect(dependency).not.toContain("require('./server')");
  });

  it('a pure module gets the snippet as before, requiring the module itself', () => {
    const text = suggest(site({ file: APP, line: 1, function: 'summarize' }), { ...sources({ [APP]: 'exports.summarize = (orders) => orders.length;' }), entryFiles: [server] });
    expect(text).toMatch(/^JavaScript at orders\.js:1 in summarize\(\) kept the CPU busy/);
    expect(text).toContain("const { summarize } = require('./orders');");
    expect(text).not.toContain('-work');
  });
});
