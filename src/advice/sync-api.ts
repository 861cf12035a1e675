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
  const native = nativeAdvice(api, line, where);
  if (native !== null) return native;
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

/** Atomics.wait, named by its wrapper or seen on the blocking line. */
export function atomicsAdvice(line: string | null, where: string): string {
  const rewritten = line?.replace(/\bAtomics\.wait\s*\(([^;]*)\)/, (_match, args: string) => `(await Atomics.waitAsync(${args}).value)`);
  return [
    `Atomics.wait parks the main thread at ${where}: nothing else runs until another thread notifies it or the timeout passes. On the main thread, never wait synchronously; wait asynchronously instead:`,
    code(rewritten !== undefined && rewritten !== line ? rewritten : 'const result = await Atomics.waitAsync(int32Array, index, expected, timeoutMs).value;'),
    'Atomics.waitAsync returns `{ async, value }`: `value` is a string when the result is already known, else a promise of one.',
  ].join('\n');
}

/** Encoding and decoding APIs whose work grows with the data (natives.ts). */
const ENCODING = new Set(['Buffer#toString', 'Buffer.from', 'Buffer#write', 'atob', 'btoa', 'TextDecoder#decode', 'TextEncoder#encode', 'TextEncoder#encodeInto']);

/** Native calls that are not `*Sync` APIs (src/sync-api/natives.ts), or null for any other API. */
function nativeAdvice(api: string, line: string | null, where: string): string | null {
  if (ENCODING.has(api)) return encodingAdvice(api, where);
  switch (api) {
    case 'structuredClone':
      return [
        `structuredClone deep-copied a large value on the main thread at ${where}: every object, string and array in it is visited and copied, and the loop waits for all of it. Avoid the copy where you can:`,
        code(
          '// read-only use: share it, and freeze it if you must guard against writes',
          'const view = Object.freeze(value);',
          '// a change to one field: copy that level only',
          'const next = { ...value, status: "done" };',
          '// binary data: transfer the ArrayBuffer instead of copying it',
          'const moved = structuredClone(value, { transfer: [value.buffer] });',
        ),
        'If the copy itself is the point (a snapshot of a large state), build it in a worker thread that owns the data; sending the data to a worker is itself a structured clone of the same cost.',
      ].join('\n');
    case 'crypto.Hash#update':
    case 'crypto.hash':
      return [
        `Hashing a large input in one call at ${where} keeps the main thread in OpenSSL for the whole input (measured: sha256 of 64 MB, 45 ms). crypto.subtle.digest runs on the libuv thread pool and returns a promise (for an HMAC, crypto.subtle.sign('HMAC', key, data)):`,
        code("const digest = Buffer.from(await crypto.subtle.digest('SHA-256', data)).toString('hex');"),
        'Or hash the data as it arrives, chunk by chunk, so that no single call is long:',
        code(
          "const { pipeline } = require('node:stream/promises');",
          "const hash = crypto.createHash('sha256');",
          'await pipeline(fs.createReadStream(file), hash);',
          "const digest = hash.digest('hex');",
        ),
        POOL_CAVEAT,
      ].join('\n');
    case 'crypto.Cipheriv#update':
      return [
        `Encrypting or decrypting a large buffer in one update() call at ${where} blocks the event loop for the whole buffer. Stream it through the cipher, so each chunk is a short call:`,
        code("const { pipeline } = require('node:stream/promises');", 'await pipeline(source, crypto.createCipheriv(algorithm, key, iv), destination);'),
        "Or use crypto.subtle.encrypt / decrypt (AES-GCM, AES-CBC, AES-CTR), which run on the libuv thread pool: `await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, data)`.",
        POOL_CAVEAT,
      ].join('\n');
    case 'v8.serialize':
    case 'v8.deserialize':
      return [
        `${api} walked a large object graph on the main thread at ${where}; it is the same structured clone that postMessage and structuredClone run, and takes as long as the graph is big. Serialize less (only the fields the reader needs, or one page at a time), or keep the data binary (an ArrayBuffer or Buffer) and transfer it instead of serializing it.`,
        'If a worker thread or another process consumes the result, let it do the work: a worker can deserialize a buffer it receives by transfer without blocking the main loop.',
      ].join('\n');
    case 'Buffer.alloc':
    case 'Buffer#fill':
      return [
        `${api} wrote a fill pattern over a large buffer at ${where}: every byte is written on the main thread. A buffer that only needs to be zeroed costs nothing up front: \`Buffer.alloc(size)\` without a fill gets zeroed memory from the operating system page by page, as it is first touched. A buffer that is written in full right after needs no fill at all (\`Buffer.allocUnsafe(size)\`). If the pattern is the point, allocate it once at start-up and copy from it (\`template.copy(target)\`), or fill it in chunks between turns of the loop.`,
      ].join('\n');
    case 'Atomics.wait':
      return atomicsAdvice(line, where);
    case 'WebAssembly.Module': {
      const rewritten = line?.replace(/\bnew\s+WebAssembly\.Module\s*\(/, 'await WebAssembly.compile(');
      return [
        `new WebAssembly.Module compiles the whole module synchronously at ${where}. WebAssembly.compile does the same work without blocking the event loop (it returns a promise); compile once and reuse the module:`,
        code(rewritten !== undefined && rewritten !== line ? rewritten : 'const module = await WebAssembly.compile(bytes);'),
      ].join('\n');
    }
    case 'WebAssembly.Instance': {
      const rewritten = line?.replace(/\bnew\s+WebAssembly\.Instance\s*\(/, 'await WebAssembly.instantiate(');
      return [
        `new WebAssembly.Instance instantiates the module synchronously at ${where} (a large module may be compiled then). WebAssembly.instantiate does it without blocking the event loop:`,
        code(rewritten !== undefined && rewritten !== line ? rewritten : 'const instance = await WebAssembly.instantiate(module, imports);'),
      ].join('\n');
    }
    case 'zlib.crc32':
      return [
        `zlib.crc32 of a large input at ${where} runs on the main thread for the whole input. Compute it as the data arrives: crc32 takes the running value as its second argument, so each chunk is a short call:`,
        code('let crc = 0;', 'for await (const chunk of fs.createReadStream(file)) crc = zlib.crc32(chunk, crc);'),
      ].join('\n');
    default:
      return null;
  }
}

function encodingAdvice(api: string, where: string): string {
  return [
    `${api} converted a large amount of data in one call at ${where}: encoding and decoding run on the main thread for the whole input (measured: base64 of 64 MB, 300 ms; hex and UTF-8 of invalid bytes are slower still). Do not hold it all at once: convert it chunk by chunk as it streams. A StringDecoder keeps a split character (or base64 group) for the next chunk:`,
    code(
      "const { StringDecoder } = require('node:string_decoder');",
      "const decoder = new StringDecoder('base64'); // or 'utf8', 'hex', 'latin1'",
      'for await (const chunk of source) res.write(decoder.write(chunk));',
      'res.end(decoder.end());',
    ),
    'For text, `new TextDecoder().decode(chunk, { stream: true })` per chunk does the same. Better still, skip the conversion: send binary data as binary (a Buffer body with its Content-Type) rather than base64 or hex, and store it that way.',
    'If the whole value is needed at once, convert it in a worker pool (piscina); the buffer can be transferred there without a copy.',
  ].join('\n');
}
