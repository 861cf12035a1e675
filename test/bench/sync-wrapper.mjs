// Cost of timing a sync API call: ns per call with and without the preload, alternating runs.
//
//   npm run build && node test/bench/sync-wrapper.mjs
//
// The wrapped calls are the cheapest ones an app makes (small JSON, a stat, a 100-byte toString),
// where the wrapper's fixed cost weighs most; the native wrappers (src/sync-api/natives.ts) also get
// a row at 1 MiB, above the size floor, where the call is timed.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const preload = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'preload', 'index.js');
const ROUNDS = 5;
const probe = `
const fs = require('node:fs');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const v8 = require('node:v8');
const time = (n, fn) => { for (let i = 0; i < n / 10; i++) fn(); const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) fn(); return Number(process.hrtime.bigint() - t) / n; };
const small = '{"id":1,"name":"a","tags":["x","y"]}';
const object = { id: 1, name: 'a', tags: ['x', 'y'] };
const smallText = 'x'.repeat(100);
const smallBuf = Buffer.from(smallText);
const smallBase64 = btoa(smallText);
const bigBuf = Buffer.alloc(1 << 20, 'loopwatch ');
const bigBase64 = bigBuf.toString('base64');
const target = Buffer.alloc(1024);
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const hash = crypto.createHash('sha256');
const hmac = crypto.createHmac('sha256', 'key');
const cipher = crypto.createCipheriv('aes-128-ctr', Buffer.alloc(16), Buffer.alloc(16));
const serialized = v8.serialize(object);
const int32 = new Int32Array(new SharedArrayBuffer(4));
const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
console.log(JSON.stringify({
  'JSON.parse (38 bytes)': time(1e6, () => JSON.parse(small)),
  'JSON.stringify (small object)': time(1e6, () => JSON.stringify(object)),
  'fs.statSync': time(2e5, () => fs.statSync(process.execPath)),
  'fs.existsSync': time(2e5, () => fs.existsSync(process.execPath)),
  'Buffer#toString() (100 B)': time(1e6, () => smallBuf.toString()),
  'Buffer#toString base64 (100 B)': time(1e6, () => smallBuf.toString('base64')),
  'Buffer#toString base64 (1 MiB)': time(200, () => bigBuf.toString('base64')),
  'Buffer.from utf8 (100 chars)': time(1e6, () => Buffer.from(smallText)),
  'Buffer.from base64 (1 MiB of text)': time(200, () => Buffer.from(bigBase64, 'base64')),
  'Buffer#write utf8 (100 chars)': time(1e6, () => target.write(smallText)),
  'TextDecoder#decode (100 B)': time(1e6, () => decoder.decode(smallBuf)),
  'TextDecoder#decode (1 MiB)': time(200, () => decoder.decode(bigBuf)),
  'TextEncoder#encode (100 chars)': time(1e6, () => encoder.encode(smallText)),
  'TextEncoder#encodeInto (100 chars)': time(1e6, () => encoder.encodeInto(smallText, target)),
  'atob (100 chars)': time(3e5, () => atob(smallBase64)),
  'crypto.Hash#update (100 B)': time(1e6, () => hash.update(smallBuf)),
  'crypto.Hash#update (1 MiB)': time(200, () => hash.update(bigBuf)),
  'crypto.Hash#update (Hmac, 100 B)': time(1e6, () => hmac.update(smallBuf)),
  'crypto.Cipheriv#update (100 B)': time(5e5, () => cipher.update(smallBuf)),
  'crypto.hash (100 B)': time(3e5, () => crypto.hash('sha256', smallBuf)),
  'structuredClone (small object)': time(2e5, () => structuredClone(object)),
  'v8.serialize (small object)': time(2e5, () => v8.serialize(object)),
  'v8.deserialize (small object)': time(2e5, () => v8.deserialize(serialized)),
  'Atomics.wait (not-equal)': time(1e6, () => Atomics.wait(int32, 0, 1)),
  'new WebAssembly.Module (8 B)': time(2e4, () => new WebAssembly.Module(wasm)),
  'zlib.crc32 (100 B)': time(1e6, () => zlib.crc32(smallBuf)),
  'zlib.crc32 (1 MiB)': time(1000, () => zlib.crc32(bigBuf)),
}));
`;

const run = (withAgent) =>
  JSON.parse(
    execFileSync(process.execPath, [...(withAgent ? ['--require', preload] : []), '-e', probe], {
      env: { ...process.env, LOOPWATCH_LOG: 'off' },
      encoding: 'utf8',
    }),
  );
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const samples = { without: [], with: [] };
for (let round = 0; round < ROUNDS; round++) {
  samples.without.push(run(false));
  samples.with.push(run(true));
}
console.log(`node ${process.version}, ${os.cpus().length} cpus, median of ${ROUNDS} alternating runs`);
console.log('| call | without | with loopwatch | wrapper cost |');
console.log('|---|---|---|---|');
for (const name of Object.keys(samples.without[0])) {
  const without = median(samples.without.map((sample) => sample[name]));
  const withAgent = median(samples.with.map((sample) => sample[name]));
  console.log(`| ${name} | ${without.toFixed(0)} ns | ${withAgent.toFixed(0)} ns | ${(withAgent - without).toFixed(0)} ns/call |`);
}
