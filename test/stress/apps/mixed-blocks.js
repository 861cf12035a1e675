'use strict';
// Stress fixture: many kinds of JIT work inside each stall. Five ~700 ms synchronous blocks, each in
// its own loop turn, repeat a work unit mixing TypeScript transpileModule, marked (markdown to HTML),
// js-yaml dump/load and a numeric sort with a comparator. Inputs change shape from unit to unit
// (integers, then doubles; flat, then nested), so V8 keeps optimizing and deoptimizing while the
// watchdog pauses the thread. Libraries load inside the first block, cold. Exits 0 after ~4 s.

const BLOCKS = 5;
const BLOCK_MS = 700;
let ts, marked, yaml;

// A fixed-seed LCG: each run gets the same inputs, so runs differ only in when captures land.
let seed = 7;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

function tsSource(unit) {
  const lines = [`interface Box${unit}<T> { value: T; tags: string[] }`];
  for (let i = 0; i < 30; i++) lines.push(`export const g${i} = <T,>(b: Box${unit}<T>): T => b.tags.length > ${i} ? b.value : b.value;`);
  return lines.join('\n');
}

function markdown(unit) {
  const words = Array.from({ length: 40 }, () => `w${Math.floor(random() * 500)}`);
  return `# Unit ${unit}\n\n${words.join(' ')}\n\n- **${words[0]}** and _${words[1]}_\n- \`code ${unit}\`\n\n> quote ${words[2]}\n\n| a | b |\n|---|---|\n| ${words[3]} | ${unit} |\n`;
}

function yamlDoc(unit) {
  const items = Array.from({ length: 20 }, (_, i) => (unit % 2 ? { id: i, score: random(), tags: ['x', String(i)] } : `item ${i}`));
  return { unit, nested: unit % 3 === 0 ? { deeper: { items } } : null, items };
}

function numbers(unit) {
  // Alternating integer and double arrays changes elements kinds under the optimized comparator.
  return Array.from({ length: 20000 }, () => (unit % 2 ? random() * 1e6 : Math.floor(random() * 1e6)));
}

function workUnit(unit) {
  const js = ts.transpileModule(tsSource(unit), { compilerOptions: { target: ts.ScriptTarget.ES2020 } }).outputText;
  const html = marked.parse(markdown(unit));
  const doc = yaml.load(yaml.dump(yamlDoc(unit)));
  const sorted = numbers(unit).sort((a, b) => a - b);
  return js.length + html.length + doc.items.length + (sorted[0] >= 0 ? 1 : 0);
}

function block(index) {
  const start = Date.now();
  if (index === 0) {
    ts = require('typescript');
    marked = require('marked'); // ESM-only package: require(esm), Node >= 20.19
    yaml = require('js-yaml');
  }
  let units = 0;
  while (Date.now() - start < BLOCK_MS) workUnit(index * 1000 + units++);
  if (process.env.STRESS_VERBOSE) console.log(`block ${index}: ${units} units in ${Date.now() - start} ms`);
  // Alternate timers and immediates so the stalls start from both loop phases.
  if (index + 1 === BLOCKS) return;
  const next = () => block(index + 1);
  if (index % 2) setTimeout(next, 20);
  else setImmediate(next);
}

setTimeout(() => block(0), 100);
