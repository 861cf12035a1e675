// blocked-at as its README shows it, with a 100 ms threshold like loopwatch's default.
//
//   BLOCKED_AT_OUT=blocked.jsonl node --import ./test/bench/preload-blocked-at.mjs app.js
//
// With BLOCKED_AT_OUT set, each report `(time, stack)` is appended to that file as one JSON line at
// once, not kept for an exit handler: a worker thread or a process that is killed would lose them.
// Without it, reports are dropped (the overhead benchmark only measures the cost of the hooks).
import * as fs from 'node:fs';
import { threadId } from 'node:worker_threads';
import blocked from 'blocked-at';

const out = process.env.BLOCKED_AT_OUT;
blocked(
  (time, stack) => {
    if (out) fs.appendFileSync(out, `${JSON.stringify({ time, stack, threadId })}\n`);
  },
  { threshold: 100 },
);
