'use strict';
// Stress fixture: JIT churn inside long stalls. A cold require('typescript') plus transpileModule of
// 6,000 generated functions makes V8 compile lazily and tier up thousands of compiler functions; a
// 200k-string sort with a localeCompare comparator then gets its comparator optimized mid-stall.
// Watchdog captures land while V8 is busy optimizing: where Debugger.pause was seen to abort it
// (`Check failed: inlineability == SharedFunctionInfo::kHasOptimizationDisabled`).
// Exits 0 by itself, in 2-3 s (about 4 s when captures go through the debugger).

const FUNCTIONS = 6000;
const STRINGS = 200000;

function generatedSource() {
  const lines = [];
  for (let i = 0; i < FUNCTIONS; i++) {
    lines.push(`export function f${i}(a: number): number { return a + ${i}; }`);
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

// Two stalls, not one: the watchdog stops re-sampling a stall after LOOPWATCH_MAX_SAMPLES sample
// ticks (50, ~1 s at 20 ms), so one long stall would leave the sort unpaused. A timer, not an
// immediate, so that the loop reaches the timers phase (the heartbeat) in between.
setTimeout(() => {
  let start = Date.now();
  const chars = transpile();
  const transpileMs = Date.now() - start;
  setTimeout(() => {
    start = Date.now();
    const first = sort();
    if (process.env.STRESS_VERBOSE) console.log(`transpile ${transpileMs} ms (${chars} chars), sort ${Date.now() - start} ms (${first})`);
  }, 20);
}, 100);
