// The third way to read a blocked thread's stack, tried and not taken (docs/capture.md): V8's CPU
// profiler, driven from a worker through the inspector's connectToMainThread session, as the
// watchdog would. The main thread spins in a timer callback for 1.5 s; the worker enables the
// profiler, samples every 1 ms for 300 ms, and prints what the samples landed on.
//
//   node test/bench/cpu-profiler-probe.mjs
import * as inspector from 'node:inspector';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

if (isMainThread) {
  const worker = new Worker(fileURLToPath(import.meta.url));
  worker.on('message', (result) => console.log(process.version, result));
  const spin = () => {
    const end = Date.now() + 1500;
    while (Date.now() < end) Math.sqrt(Math.random());
  };
  setTimeout(spin, 200);
  setTimeout(() => void worker.terminate(), 4000);
} else {
  const session = new inspector.Session();
  session.connectToMainThread();
  const started = Date.now();
  const post = (method, params = {}) =>
    Promise.race([
      new Promise((resolve) => session.post(method, params, (error, result) => resolve({ method, atMs: Date.now() - started, error: error?.message, result }))),
      new Promise((resolve) => setTimeout(() => resolve({ method, timedOut: true }), 1000)),
    ]);
  setTimeout(async () => {
    const steps = [await post('Profiler.enable'), await post('Profiler.setSamplingInterval', { interval: 1000 }), await post('Profiler.start')];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stop = await post('Profiler.stop');
    const profile = stop.result?.profile;
    const hits = profile ? profile.nodes.filter((node) => node.hitCount > 0).map((node) => `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').pop()}:${node.callFrame.lineNumber + 1} x${node.hitCount}`) : [];
    parentPort.postMessage(JSON.stringify({ answered: [...steps, stop].map((step) => `${step.method}${step.timedOut ? ' (no answer)' : ` at ${step.atMs} ms`}`), samples: profile?.samples.length ?? 0, hits }));
  }, 300);
}
