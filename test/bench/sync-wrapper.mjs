// Cost of timing a sync API call: ns per call with and without the preload, alternating runs.
//
//   npm run build && node test/bench/sync-wrapper.mjs
//
// The wrapped calls are the cheapest ones an app makes (small JSON, a stat), where the wrapper's
// fixed cost weighs most.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const preload = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'preload', 'index.js');
const ROUNDS = 5;
const probe = `
const fs = require('node:fs');
const time = (n, fn) => { for (let i = 0; i < n / 10; i++) fn(); const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) fn(); return Number(process.hrtime.bigint() - t) / n; };
const small = '{"id":1,"name":"a","tags":["x","y"]}';
const object = { id: 1, name: 'a', tags: ['x', 'y'] };
console.log(JSON.stringify({
  'JSON.parse (38 bytes)': time(1e6, () => JSON.parse(small)),
  'JSON.stringify (small object)': time(1e6, () => JSON.stringify(object)),
  'fs.statSync': time(2e5, () => fs.statSync(process.execPath)),
  'fs.existsSync': time(2e5, () => fs.existsSync(process.execPath)),
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
