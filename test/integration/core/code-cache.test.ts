/**
 * loopwatch's code cache (src/code-cache.ts): the bytecode of its bundles, saved by one start and
 * read by the next. Each case runs a small bundle through the real loader in a child process,
 * since the cache is about what a fresh process reads and writes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runFixture, tempDir } from '../run-fixture';

const LOADER = path.join(ROOT, 'dist', 'src', 'code-cache-loader.js');
const LOAD = `const { requireWithCodeCache } = require(${JSON.stringify(LOADER)});
const load = (file) => {
  let use;
  try { use = requireWithCodeCache(file); } catch (error) { use = 'threw: ' + error.message; }
  return { use, runs: globalThis.bundleRuns, value: globalThis.bundleValue, frame: globalThis.bundleFrame };
};`;
/** Loads the bundle at argv[1]; with `then-in-a-worker`, loads it again in a worker started with `execArgv: []`. */
const RUNNER = `${LOAD}
const here = load(process.argv[1]);
if (process.argv[2] !== 'then-in-a-worker') process.stdout.write(JSON.stringify(here));
else {
  const { Worker } = require('node:worker_threads');
  const code = ${JSON.stringify(LOAD)} + "require('node:worker_threads').parentPort.postMessage(load(require('node:worker_threads').workerData));";
  new Worker(code, { eval: true, execArgv: [], workerData: process.argv[1] }).on('message', (there) => process.stdout.write(JSON.stringify({ ...here, worker: there.use })));
}
`;

/** A bundle as scripts/bundle.mjs writes them: code, then its build stamp on the last line. */
function bundleSource(value: string, stamp: string, extra = ''): string {
  return [
    `globalThis.bundleRuns = (globalThis.bundleRuns || 0) + 1; function where() { return new Error('here').stack.split('\\n')[1].trim(); }`,
    `globalThis.bundleValue = ${JSON.stringify(value)}; globalThis.bundleFrame = where(); ${extra}`,
    `// loopwatch build ${stamp}`,
    '',
  ].join('\n');
}

interface Loaded {
  use: string;
  /** The same bundle loaded again in a worker thread with `execArgv: []`. */
  worker?: string;
  runs: number;
  value: string;
  frame: string;
  stderr: string;
}

function load(bundle: string, env: Record<string, string>, nodeArgs: string[] = [], then?: 'then-in-a-worker'): Loaded {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS;
  const child = spawnSync(process.execPath, [...nodeArgs, '-e', RUNNER, bundle, ...(then ? [then] : [])], { env: childEnv, encoding: 'utf8', timeout: 10_000 });
  expect(child.status, child.stderr).toBe(0);
  return { ...(JSON.parse(child.stdout) as Omit<Loaded, 'stderr'>), stderr: child.stderr };
}

function setUp(): { bundle: string; cache: string } {
  const dir = tempDir();
  const bundle = path.join(dir, 'bundle.js');
  fs.writeFileSync(bundle, bundleSource('A', 'aaaaaaaaaaaaaaaa'));
  return { bundle, cache: path.join(dir, 'cache') };
}

const cacheFiles = (folder: string): string[] => fs.readdirSync(folder).filter((name) => name.endsWith('.v8'));

describe('the code cache', () => {
  it('is written by the first start and read by the next, which runs the same code with the same stack lines', () => {
    const { bundle, cache } = setUp();
    const plain = load(bundle, { LOOPWATCH_CODE_CACHE: 'off' });
    expect(plain).toMatchObject({ use: 'unused', runs: 1, value: 'A' });
    expect(fs.existsSync(cache)).toBe(false);

    const first = load(bundle, { LOOPWATCH_CODE_CACHE: cache });
    expect(first).toMatchObject({ use: 'written', runs: 1, value: 'A', frame: plain.frame });
    expect(fs.statSync(cache).mode & 0o777).toBe(0o700);
    const [file] = cacheFiles(cache);
    expect(file).toMatch(/^bundle-[0-9a-f]{16}\.v8$/);
    expect(fs.statSync(path.join(cache, file!)).mode & 0o777).toBe(0o600);

    const second = load(bundle, { LOOPWATCH_CODE_CACHE: cache });
    expect(second).toMatchObject({ use: 'read', runs: 1, value: 'A', frame: plain.frame });
    // The frame is the bundle's own line and column, as plain require reports it.
    expect(plain.frame).toMatch(/bundle\.js:1:\d+\)$/);
    expect(fs.readdirSync(cache)).toEqual([file]);
  });

  it('is not used for a rebuilt bundle of the same length, mtime and inode (as npm installs them)', () => {
    const { bundle, cache } = setUp();
    // The date npm gives every file it packs.
    const npmDate = new Date('1985-10-26T08:15:00Z');
    fs.utimesSync(bundle, npmDate, npmDate);
    const before = fs.statSync(bundle);
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache }).use).toBe('written');
    fs.writeFileSync(bundle, bundleSource('B', 'bbbbbbbbbbbbbbbb'));
    fs.utimesSync(bundle, npmDate, npmDate);
    const after = fs.statSync(bundle);
    expect([after.size, after.mtimeMs, after.ino]).toEqual([before.size, before.mtimeMs, before.ino]);

    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache })).toMatchObject({ use: 'written', value: 'B' });
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache })).toMatchObject({ use: 'read', value: 'B' });
  });

  it('never reads a cache file that others could have written', () => {
    const { bundle, cache } = setUp();
    load(bundle, { LOOPWATCH_CODE_CACHE: cache });
    const file = path.join(cache, cacheFiles(cache)[0]!);
    fs.chmodSync(file, 0o666);
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache })).toMatchObject({ use: 'written', value: 'A' });
    // Replaced by one of its own, private again.
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache }).use).toBe('read');
  });

  it('never reads a cache file with a second link: a hard link could give someone else’s file its name', () => {
    const { bundle, cache } = setUp();
    load(bundle, { LOOPWATCH_CODE_CACHE: cache });
    const file = path.join(cache, cacheFiles(cache)[0]!);
    fs.linkSync(file, path.join(path.dirname(cache), 'second-link'));
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache })).toMatchObject({ use: 'written', value: 'A' });
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache }).use).toBe('read');
  });

  it('never hands V8 a damaged cache (damaged bytecode aborts the process), and writes a whole one again', () => {
    const { bundle, cache } = setUp();
    // A bundle with enough functions run at start-up for a cache of some size.
    const functions = Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x + ${i}; } f${i}(1);`).join(' ');
    fs.writeFileSync(bundle, bundleSource('A', 'dddddddddddddddd', functions));
    load(bundle, { LOOPWATCH_CODE_CACHE: cache });
    const file = path.join(cache, cacheFiles(cache)[0]!);
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBeGreaterThan(8192);
    // Zero a block of the first copy, as a lost write would.
    bytes.fill(0, 4096, 8192);
    fs.writeFileSync(file, bytes);
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache })).toMatchObject({ use: 'written', runs: 1, value: 'A' });
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache }).use).toBe('read');
  });

  it('gives a worker thread the cache of the main thread’s flags, whatever its own execArgv', () => {
    const { bundle, cache } = setUp();
    const loaded = load(bundle, { LOOPWATCH_CODE_CACHE: cache }, ['--max-old-space-size=300'], 'then-in-a-worker');
    expect(loaded).toMatchObject({ use: 'written', worker: 'read' });
    expect(cacheFiles(cache)).toHaveLength(1);
  });

  it('stays off where it would change what the app sees: with source maps on, Node maps only what require compiled', () => {
    const { bundle, cache } = setUp();
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache }, ['--enable-source-maps'])).toMatchObject({ use: 'unused', value: 'A' });
    expect(fs.existsSync(cache)).toBe(false);
  });

  // Node 20 only: later versions removed policies.
  it.runIf(process.versions.node.startsWith('20.'))('stays off under a policy, whose integrity checks apply to what require loads', () => {
    const { bundle, cache } = setUp();
    const policy = path.join(path.dirname(cache), 'policy.json');
    fs.writeFileSync(policy, JSON.stringify({ onerror: 'log', resources: {} }));
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache }, [`--experimental-policy=${policy}`])).toMatchObject({ use: 'unused', value: 'A' });
    expect(fs.existsSync(cache)).toBe(false);
  });

  it('removes cache files nobody read for a month when it writes one, and keeps the ones read', () => {
    const { bundle, cache } = setUp();
    load(bundle, { LOOPWATCH_CODE_CACHE: cache });
    const inUse = path.join(cache, cacheFiles(cache)[0]!);
    const gone = path.join(cache, 'bundle-0123456789abcdef.v8');
    fs.writeFileSync(gone, 'an old build’s cache', { mode: 0o600 });
    const longAgo = new Date(Date.now() - 40 * 24 * 3600_000);
    for (const file of [inUse, gone]) fs.utimesSync(file, longAgo, longAgo);
    // Read today: touched, so the sweep that follows the next write keeps it.
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache }).use).toBe('read');
    expect(Date.now() - fs.statSync(inUse).mtimeMs).toBeLessThan(3600_000);
    fs.writeFileSync(bundle, bundleSource('B', 'eeeeeeeeeeeeeeee'));
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache }).use).toBe('written');
    expect(fs.existsSync(gone)).toBe(false);
    expect(fs.existsSync(inUse)).toBe(true);
  });

  it('reads its setting as the other options are read: any case of off, on, or an absolute path', () => {
    const { bundle } = setUp();
    const tmp = tempDir();
    const folder = path.join(tmp, `loopwatch-code-cache-${process.getuid?.() ?? 'user'}`);
    for (const off of ['OFF', 'False', 'no', '0']) expect(load(bundle, { LOOPWATCH_CODE_CACHE: off, TMPDIR: tmp }).use).toBe('unused');
    expect(fs.existsSync(folder)).toBe(false);
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: 'On', TMPDIR: tmp }).use).toBe('written');
    expect(fs.existsSync(folder)).toBe(true);
    const relative = load(bundle, { LOOPWATCH_CODE_CACHE: 'cache-here', TMPDIR: tmp });
    expect(relative.use).toBe('read');
    expect(relative.stderr).toContain('[LOOPWATCH_BAD_ENV] LoopwatchWarning: loopwatch: LOOPWATCH_CODE_CACHE=cache-here is not an absolute path');
    expect(fs.existsSync(path.join(ROOT, 'cache-here'))).toBe(false);
  });

  it('warns once and loads without a cache when the folder it is given is shared or cannot be made', () => {
    const { bundle, cache } = setUp();
    fs.mkdirSync(cache, { mode: 0o777 });
    fs.chmodSync(cache, 0o777);
    const shared = load(bundle, { LOOPWATCH_CODE_CACHE: cache });
    expect(shared).toMatchObject({ use: 'unused', runs: 1, value: 'A' });
    expect(shared.stderr).toContain(`[LOOPWATCH_CODE_CACHE_UNUSABLE] LoopwatchWarning: loopwatch: LOOPWATCH_CODE_CACHE=${cache} cannot be used`);
    expect(shared.stderr.trim().split('\n').filter((line) => line.includes('LOOPWATCH_'))).toHaveLength(1);
    expect(cacheFiles(cache)).toEqual([]);

    const impossible = load(bundle, { LOOPWATCH_CODE_CACHE: '/proc/loopwatch-cache' });
    expect(impossible).toMatchObject({ use: 'unused', runs: 1, value: 'A' });
    expect(impossible.stderr).toContain('[LOOPWATCH_CODE_CACHE_UNUSABLE]');
  });

  it('lives in a private folder of its own under TMPDIR by default, and says nothing when that cannot be had', () => {
    const { bundle } = setUp();
    const tmp = tempDir();
    const uid = process.getuid?.() ?? 'user';
    const loaded = load(bundle, { LOOPWATCH_CODE_CACHE: '', TMPDIR: `${tmp}/` });
    expect(loaded.use).toBe('written');
    expect(fs.statSync(path.join(tmp, `loopwatch-code-cache-${uid}`)).mode & 0o777).toBe(0o700);

    const unusable = load(bundle, { LOOPWATCH_CODE_CACHE: '', TMPDIR: '/proc' });
    expect(unusable).toMatchObject({ use: 'unused', value: 'A', stderr: '' });
    // Never a folder in the app's working directory.
    const relative = load(bundle, { LOOPWATCH_CODE_CACHE: '', TMPDIR: 'test' });
    expect(relative).toMatchObject({ use: 'unused', value: 'A', stderr: '' });
    expect(fs.existsSync(path.join(ROOT, 'test', `loopwatch-code-cache-${uid}`))).toBe(false);
  });

  it('sweeps the temporary files of threads that ended while writing, once they are a minute old', () => {
    const { bundle, cache } = setUp();
    fs.mkdirSync(cache, { mode: 0o700 });
    const abandoned = path.join(cache, '.bundle-0123456789abcdef.v8.4242.1');
    const recent = path.join(cache, '.bundle-0123456789abcdef.v8.4243.1');
    const notOurs = path.join(cache, '.keep.4242.1');
    for (const file of [abandoned, recent, notOurs]) fs.writeFileSync(file, 'partial');
    const old = new Date(Date.now() - 120_000);
    for (const file of [abandoned, notOurs]) fs.utimesSync(file, old, old);
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache }).use).toBe('written');
    expect(fs.readdirSync(cache).filter((name) => name.startsWith('.')).sort()).toEqual(['.bundle-0123456789abcdef.v8.4243.1', '.keep.4242.1']);
  });

  it("lets the bundle's own error through, after running it once", () => {
    const { bundle, cache } = setUp();
    fs.writeFileSync(bundle, bundleSource('A', 'cccccccccccccccc', "throw new Error('bundle failed');"));
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: cache })).toMatchObject({ use: 'threw: bundle failed', runs: 1 });
    expect(load(bundle, { LOOPWATCH_CODE_CACHE: 'off' })).toMatchObject({ use: 'threw: bundle failed', runs: 1 });
  });
});

describe('the preload with its code cache', () => {
  it('saves both bundles and starts the same from them', async () => {
    const cache = path.join(tempDir(), 'cache');
    const env = { LOOPWATCH_CODE_CACHE: cache };
    const first = await runFixture('cpu-timer.js', { env });
    const names = cacheFiles(cache).map((name) => name.replace(/-[0-9a-f]{16}\.v8$/, '')).sort();
    expect(names).toEqual(['preload-bundle', 'watchdog-worker']);
    const second = await runFixture('cpu-timer.js', { env });
    for (const run of [first, second]) {
      expect(run.code).toBe(0);
      expect(run.report.stalls.length).toBeGreaterThan(0);
    }
    expect(second.report.sites.map((site: { file: string; line: number }) => `${site.file}:${site.line}`)).toEqual(
      first.report.sites.map((site: { file: string; line: number }) => `${site.file}:${site.line}`),
    );
    expect(cacheFiles(cache)).toHaveLength(2);
  });
});
