'use strict';
// Stress fixture: JIT churn inside long stalls. A cold require('typescript') plus transpileModule of
// 6,000 generated functions makes V8 lazily compile, tier up and deoptimize thousands of compiler
// functions; a 200k-string sort with a localeCompare comparator then optimizes the comparator and
// the sort builtin mid-stall. Every watchdog capture lands on a thread busy compiling, which is
// where Debugger.pause was seen to abort V8 (`inlineability == kHasOptimizationDisabled`).
// Exits 0 by itself after ~2 s.

const FUNCTIONS = 6000;
const STRINGS = 200000;

function generatedSource() {
  const lines = [];
  for (let i = 0; i < FUNCTIONS; i++) {
    lines.push(`export function f${i}(a: number, b: string): string { const c: number = a * ${i % 97}; return b + c; }`);
  }
  return lines.join('\n');
}

// A fixed-seed LCG: every run sorts the same strings, so runs differ only in when captures land.
function generatedStrings() {
  let seed = 42;
  const strings = new Array(STRINGS);
  for (let i = 0; i < STRINGS; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    strings[i] = `item-${seed.toString(36)}-${i % 1000}`;
  }
  return strings;
}

function transpile() {
  const ts = require('typescript'); // cold on purpose: loading the compiler is part of the stall
  const output = ts.transpileModule(generatedSource(), {
    compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS },
  });
  return output.outputText.length;
}

function sort() {
  const strings = generatedStrings();
  strings.sort((a, b) => a.localeCompare(b));
  return strings[0];
}

// Two separate turns: the watchdog re-samples a stall only up to LOOPWATCH_MAX_SAMPLES times (50 by
// default), so one long stall would leave its second half unsampled.
setTimeout(() => {
  const t0 = Date.now();
  const chars = transpile();
  const t1 = Date.now();
  setImmediate(() => {
    const first = sort();
    if (process.env.STRESS_VERBOSE) console.log(`transpile ${t1 - t0} ms (${chars} chars), sort ${Date.now() - t1} ms (${first})`);
  });
}, 100);
