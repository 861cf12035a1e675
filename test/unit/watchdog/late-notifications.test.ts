import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const dist = path.resolve(__dirname, '..', '..', '..', 'dist', 'src', 'watchdog');

/**
 * Runs in a worker thread, as the watchdog does (connectToMainThread exists only there), against
 * the built modules. An inspector notification still queued when its session disconnected is
 * delivered all the same; a listener that throws then is turned by Node into a process warning
 * on the app's stderr ("[ERR_INSPECTOR_NOT_CONNECTED] ... Session is not connected", seen once in
 * four runs of 300 workers created and terminated). Each case emits such a late notification.
 */
const script = `
const { parentPort } = require('node:worker_threads');
const { StackCapture } = require(${JSON.stringify(path.join(dist, 'inspector-capture.js'))});
const { ThreadConnection } = require(${JSON.stringify(path.join(dist, 'inspector-thread-capture.js'))});
const outcome = (deliver) => { try { deliver(); return 'no throw'; } catch (error) { return error.code ?? error.message; } };
(async () => {
  const connection = new ThreadConnection(1_000_000, () => undefined);
  connection.close();
  const session = connection.session;
  const otherWorker = outcome(() => session.emit('NodeWorker.attachedToWorker', { params: { sessionId: 'a', workerInfo: { title: '[worker 7]' } } }));
  const capture = new StackCapture();
  const main = capture.connect().session;
  await capture.end();
  const mainPause = outcome(() => main.emit('Debugger.paused', { params: { callFrames: [] } }));
  // Node 20 aborts the process (SIGABRT, no message) in about 1 run in 6 when a worker ends right
  // after its session to the main thread disconnected; 0 in 40 with this pause (docs/capture.md).
  await new Promise((resolve) => setTimeout(resolve, 100));
  parentPort.postMessage({ otherWorker, mainPause });
})();
`;

describe('inspector notifications that arrive after their session disconnected', () => {
  it('are ignored without a throw (which Node would print as a warning on the app stderr)', async () => {
    const worker = new Worker(script, { eval: true });
    const outcomes = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(outcomes).toEqual({ otherWorker: 'no throw', mainPause: 'no throw' });
  });
});
