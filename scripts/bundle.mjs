// Bundles the two entry points a process pays for at start-up, after tsc has compiled dist/:
// - dist/src/preload-bundle.js: what `--require loopwatch/preload` loads on the app's main thread
//   (the agent, its features, the watchdog's main-thread side);
// - dist/src/watchdog-worker.js: the watchdog worker;
// and what loads each of them with its code cache (dist/src/code-cache-loader.js for the first,
// dist/src/watchdog-entry.js, the worker's entry, for the second).
// Node's CommonJS loader resolves, reads and wraps each file on its own: about 45 files on the
// main thread cost tens of milliseconds of every process's start (docs/benchmarks.md, "Start-up").
// Both bundles sit in dist/src, next to src/paths.ts's output, so the folder they compute paths from
// is the same bundled or not. Packages stay outside (prom-client, the OpenTelemetry API,
// source-map-support and the native capture module load only when used), and so do Node's builtins.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'src');
/**
 * tsc compiles `import * as fs from 'node:fs'` to `__importStar(require("node:fs"))`: a copy of the
 * module's exports, one getter closure per export (fs has about a hundred). At start-up the main
 * thread made 18 of those copies, 1 MiB of the young generation, whose filling costs a scavenge
 * (0.7-6 ms on 2 cores while the watchdog boots; `node --trace-gc`). A namespace import of a Node
 * builtin is only ever read by name (`fs.readFileSync`), which the exports object itself answers, so
 * the bundles take the exports object as it is (on the same line: the source maps stay right to the line).
 */
const builtinNamespaces = {
  name: 'builtin-namespaces',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.js$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replace(/__importStar\((require\("node:[a-z_/]+"\))\)/g, '$1'),
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};
/**
 * Whitespace minified (names kept): V8 pre-parses the whole preload bundle at start-up, and 28% fewer
 * bytes compile in 2.2 ms instead of 2.75 (Node 20). The linked source map keeps loopwatch's own
 * stack traces readable.
 */
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', logLevel: 'warning', sourcemap: 'linked', minifyWhitespace: true, plugins: [builtinNamespaces] };

/**
 * Ends a bundle with a hash of its content. src/code-cache.ts names its cache after it: V8 checks a
 * cache against the source's length only, and npm gives every file of every version the same mtime.
 */
async function stampBuild(file) {
  const source = await readFile(file, 'utf8');
  await writeFile(file, `${source}// loopwatch build ${createHash('sha256').update(source).digest('hex').slice(0, 16)}\n`);
}

for (const [entry, outfile] of [
  ['preload.js', 'preload-bundle.js'],
  [path.join('watchdog', 'worker.js'), 'watchdog-worker.js'],
]) {
  await build({ ...common, entryPoints: [path.join(compiled, entry)], outfile: path.join(compiled, outfile) });
  await stampBuild(path.join(compiled, outfile));
}
// What loads those two with their code cache (src/code-cache.ts): one file each, since it runs
// before any cache can help, and every file Node's loader resolves, reads and compiles costs.
await build({ ...common, entryPoints: [path.join(compiled, 'code-cache.js')], outfile: path.join(compiled, 'code-cache-loader.js') });
await build({ ...common, entryPoints: [path.join(compiled, 'watchdog', 'worker-entry.js')], outfile: path.join(compiled, 'watchdog-entry.js') });
