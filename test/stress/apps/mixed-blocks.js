'use strict';
// Stress fixture: many kinds of JIT work inside each stall. Five ~700 ms synchronous blocks, each in
// its own loop turn, cycle through small tasks: TypeScript transpileModule, marked (markdown to
// HTML), js-yaml dump/load and a numeric sort with a comparator. Inputs change shape from round to
// round (integers, then doubles; flat, then nested), so V8 keeps optimizing and deoptimizing while
// the watchdog pauses the thread. Libraries load inside the first block, cold. Exits 0 by itself, in
// about 4 s (about 5 s when captures go through the debugger).

const BLOCKS = 5;
const BLOCK_MS = 700;
let ts, marked, yaml;

// A fixed-seed LCG: each run gets the same inputs, so runs differ only in when captures land.
let seed = 7;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

function transpile(round) {
  const lines = [`interface Box${round}<T> { value: T; tags: string[] }`];
  for (let i = 0; i < 4; i++) lines.push(`export const g${i} = <T,>(b: Box${round}<T>): T => b.tags.length > ${i} ? b.value : b.value;`);
  return ts.transpileModule(lines.join('\n'), { compilerOptions: { target: ts.ScriptTarget.ES2020 } }).outputText.length;
}

function markdown(round) {
  const words = Array.from({ length: 40 }, () => `w${Math.floor(random() * 500)}`);
  const text = `# Round ${round}\n\n${words.join(' ')}\n\n- **${words[0]}** and _${words[1]}_\n- \`code ${round}\`\n\n> ${words[2]}\n\n| a | b |\n|---|---|\n| ${words[3]} | ${round} |\n`;
  return marked.parse(text).length;
}

function yamlRoundTrip(round) {
  const items = Array.from({ length: 20 }, (_, i) => (round % 2 ? { id: i, score: random(), tags: ['x', String(i)] } : `item ${i}`));
  const doc = { round, nested: round % 3 === 0 ? { deeper: { items } } : null, items };
  return yaml.load(yaml.dump(doc)).items.length;
}

function sortNumbers(round) {
  // Integer arrays, then double arrays: the elements kind changes under the optimized comparator.
  const numbers = Array.from({ length: 5000 }, () => (round % 2 ? random() * 1e6 : Math.floor(random() * 1e6)));
  return numbers.sort((a, b) => a - b)[0];
}

// One small task per unit: a block stops only between units, and under a debugger units slow down.
const TASKS = [transpile, markdown, yamlRoundTrip, sortNumbers];

function block(index) {
  const start = Date.now();
  // marked is ESM-only: require(esm), Node >= 20.19. Under a debugger these cold loads alone can use
  // up block 0: the first (costliest) calls then run inside block 1's budget, not past block 0's.
  if (index === 0) [ts, marked, yaml] = [require('typescript'), require('marked'), require('js-yaml')];
  let unit = 0;
  while (Date.now() - start < BLOCK_MS) {
    const round = index * 1000 + Math.floor(unit / TASKS.length);
    TASKS[unit++ % TASKS.length](round);
  }
  if (process.env.STRESS_VERBOSE) console.log(`block ${index}: ${unit} units in ${Date.now() - start} ms`);
  // A timer, not an immediate: an immediate queued from a timer callback runs before the heartbeat
  // timer can beat, so two blocks would be one stall, re-sampled only 50 times (LOOPWATCH_MAX_SAMPLES).
  if (index + 1 < BLOCKS) setTimeout(() => block(index + 1), 20);
}

setTimeout(() => block(0), 100);
