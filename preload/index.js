'use strict';
// node --require loopwatch/preload app.js   (or: node --import loopwatch/preload app.mjs)
// Kept tiny on purpose: everything, including failure handling, lives in dist/src/preload.js, which
// npm run build bundles with what it loads into dist/src/preload-bundle.js (scripts/bundle.mjs), and
// dist/src/code-cache-loader.js loads with the bytecode an earlier start saved.
try {
  require('../dist/src/code-cache-loader.js').requireWithCodeCache(require.resolve('../dist/src/preload-bundle.js'));
} catch (error) {
  process.emitWarning(`loopwatch: could not load (${error && error.message}); the app runs without loopwatch`, {
    code: 'LOOPWATCH_INTERNAL',
    type: 'LoopwatchWarning',
  });
}
