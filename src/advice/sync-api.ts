/**
 * Advice for a blocking synchronous API: its non-blocking replacement (docs/design.md, "Sync APIs and advice"), as
 * the user's own line rewritten when it can be read, else as a template.
 */
import { POOL_CAVEAT, code } from './types';
import { callArgs, rewriteCall } from './rewrite';

/** `fs.promises` has these; other `*Sync` calls are fd-based (use a FileHandle) or have no twin. */
const FS_PROMISES = new Set([
  'access', 'appendFile', 'chmod', 'chown', 'copyFile', 'cp', 'lchown', 'link', 'lstat', 'lutimes', 'mkdir', 'mkdtemp',
  'open', 'opendir', 'readdir', 'readFile', 'readlink', 'realpath', 'rename', 'rm', 'rmdir', 'stat', 'statfs', 'symlink',
  'truncate', 'unlink', 'utimes', 'writeFile',
]);
/** The crypto functions whose callback form runs on the libuv pool. */
const CRYPTO_ASYNC: Record<string, string> = {
  pbkdf2Sync: 'pbkdf2', scryptSync: 'scrypt', generateKeyPairSync: 'generateKeyPair', randomBytes: 'randomBytes',
  randomFillSync: 'randomFill', generateKeySync: 'generateKey', generatePrimeSync: 'generatePrime', hkdfSync: 'hkdf',
  randomInt: 'randomInt', checkPrimeSync: 'checkPrime',
};
/** zlib.xSync -> the stream class of x, for the streaming alternative. */
const ZLIB_STREAM: Record<string, string> = {
  gzip: 'createGzip', gunzip: 'createGunzip', deflate: 'createDeflate', inflate: 'createInflate', deflateRaw: 'createDeflateRaw',
  inflateRaw: 'createInflateRaw', unzip: 'createUnzip', brotliCompress: 'createBrotliCompress', brotliDecompress: 'createBrotliDecompress',
};

/** Advice for `api` (e.g. `fs.readFileSync`), given the blocking line's text when known. */
export function syncApiAdvice(api: string, line: string | null, where: string): string | null {
  const dot = api.indexOf('.');
  const moduleName = api.slice(0, dot);
  const fn = api.slice(dot + 1);
  switch (moduleName) {
    case 'fs':
      return fsAdvice(fn, line, where);
    case 'crypto':
      return cryptoAdvice(fn, line, where);
    case 'zlib':
      return zlibAdvice(fn, line, where);
    case 'child_process':
      return childProcessAdvice(fn, line, where);
    default:
      return null;
  }
}

function fsAdvice(fn: string, line: string | null, where: string): string {
  if (fn === 'existsSync') {
    return [
      `fs.existsSync blocks the event loop at ${where} on every call. Check with fs.promises.access instead (or, better, just open/read the file and handle ENOENT, which avoids a race between the check and the use):`,
      code(
        'let exists = true;',
        `try { await fs.promises.access(${callArgs(line, 'existsSync') ?? 'path'}); } catch { exists = false; }`,
      ),
      POOL_CAVEAT,
    ].join('\n');
  }
  const base = fn.replace(/Sync$/, '');
  if (!FS_PROMISES.has(base)) {
    return [
      `fs.${fn} blocks the event loop at ${where}. Use a FileHandle from \`await fs.promises.open(path)\` and its async methods (handle.read / handle.write / handle.stat), or a stream (fs.createReadStream / fs.createWriteStream) for large data.`,
      POOL_CAVEAT,
    ].join('\n');
  }
  const rewritten = line === null ? null : rewriteCall(line, fn, (args) => `await fs.promises.${base}(${args})`);
  const streamHint =
    base === 'readFile' || base === 'writeFile' || base === 'appendFile'
      ? ' For large files, stream instead of buffering the whole file: `await pipeline(fs.createReadStream(src), transform, destination)` from node:stream/promises.'
      : '';
  return [
    `fs.${fn} blocks the event loop at ${where}. Use fs.promises.${base} (the enclosing function must be async):`,
    code(rewritten ?? `await fs.promises.${base}(path)`),
    `${POOL_CAVEAT}${streamHint}`,
  ].join('\n');
}

function cryptoAdvice(fn: string, line: string | null, where: string): string {
  const asyncName = CRYPTO_ASYNC[fn] ?? fn.replace(/Sync$/, '');
  const local = `${asyncName}Async`;
  const rewritten = line === null ? null : rewriteCall(line, fn, (args) => `await ${local}(${args})`);
  return [
    `crypto.${fn} runs on the main thread at ${where} and blocks the event loop for its whole duration. The callback form, crypto.${asyncName}, runs on the libuv thread pool instead (measured: a 27 ms loop gap became 1.8 ms):`,
    code(
      "const { promisify } = require('node:util');",
      `const ${local} = promisify(crypto.${asyncName});`,
      '',
      rewritten ?? `const result = await ${local}(/* same arguments */);`,
    ),
    POOL_CAVEAT,
  ].join('\n');
}

function zlibAdvice(fn: string, line: string | null, where: string): string {
  const base = fn.replace(/Sync$/, '');
  const local = `${base}Async`;
  const rewritten = line === null ? null : rewriteCall(line, fn, (args) => `await ${local}(${args})`);
  const stream = ZLIB_STREAM[base];
  const parts = [
    `zlib.${fn} compresses on the main thread at ${where}. Use the async zlib.${base}, which runs on the libuv pool (measured: 70 ms of blocking became 2-5 ms); Node 20 has no zlib/promises, so promisify it:`,
    code("const { promisify } = require('node:util');", `const ${local} = promisify(zlib.${base});`, '', rewritten ?? `const output = await ${local}(input);`),
  ];
  if (stream !== undefined) {
    parts.push(
      'For large payloads, stream so the data never sits in memory at once:',
      code("const { pipeline } = require('node:stream/promises');", `await pipeline(source, zlib.${stream}(), destination);`),
    );
  }
  parts.push(POOL_CAVEAT);
  return parts.join('\n');
}

function childProcessAdvice(fn: string, line: string | null, where: string): string {
  const whole = `child_process.${fn} freezes the event loop at ${where} until the child process exits: no request is served meanwhile.`;
  if (fn === 'spawnSync') {
    return [
      `${whole} Use spawn and wait for its exit without blocking:`,
      code(
        "const { spawn } = require('node:child_process');",
        "const { once } = require('node:events');",
        `const child = spawn(${callArgs(line, 'spawnSync') ?? 'command, args'}, { stdio: 'inherit' });`,
        "const [code] = await once(child, 'exit');",
      ),
      'The child runs in its own process; only its start and its output use the event loop.',
    ].join('\n');
  }
  const asyncName = fn === 'execSync' ? 'exec' : 'execFile';
  const local = `${asyncName}Async`;
  const rewritten = line === null ? null : rewriteCall(line, fn, (args) => `(await ${local}(${args})).stdout`);
  return [
    `${whole} Use ${asyncName}${fn === 'execSync' ? ' (or execFile with an argument array, which avoids the shell)' : ''}:`,
    code(
      "const { promisify } = require('node:util');",
      `const ${local} = promisify(require('node:child_process').${asyncName});`,
      '',
      rewritten ?? `const { stdout } = await ${local}(${asyncName === 'exec' ? 'command' : 'file, args'});`,
    ),
    'For long-running children or large output, use spawn and read its stdout as a stream.',
  ].join('\n');
}
