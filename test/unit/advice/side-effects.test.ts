import { describe, expect, it } from 'vitest';
import { ownModuleFor, sideEffectsOf, topLevelEffect } from '../../../src/advice/side-effects';

const effect = (source: string) => topLevelEffect(source.split('\n'));

describe('top-level side effects: what runs again when a worker requires the file', () => {
  it('an entry that listens: app.listen at the top level, whatever the server', () => {
    expect(effect("const app = express();\napp.get('/', handler);\napp.listen(3000, () => {\n  console.log('up');\n});")).toEqual({
      line: 3,
      text: 'app.listen(3000, () => {',
      does: 'listens',
    });
    expect(effect('http.createServer(handler).listen(port);')?.does).toBe('listens');
    expect(effect('const server = http.createServer(app);')?.does).toBe('creates a server');
    // The stronger evidence wins over the earlier line.
    expect(effect("const server = http.createServer(app);\nserver.listen(8080);")).toMatchObject({ line: 2, does: 'listens' });
    expect(effect('server\n  .listen(8080);')?.line).toBe(2);
    expect(effect("export default app.listen(3000);")?.does).toBe('listens');
  });

  it('timers, connections, process listeners, workers and forks', () => {
    expect(effect('const cache = new Map();\nsetInterval(() => cache.clear(), 60_000);')).toMatchObject({ line: 2, does: 'starts a timer' });
    expect(effect("await mongoose.connect(process.env.MONGO_URL);")?.does).toBe('connects');
    expect(effect("process.on('SIGTERM', () => server.close());")?.does).toBe('adds a process listener');
    expect(effect("const w = new Worker('./w.js');")?.does).toBe('starts a worker thread');
    expect(effect('if (cluster.isPrimary) cluster.fork();')?.does).toBe('forks the process');
  });

  it('the same calls inside functions, objects, strings or comments are not top-level effects', () => {
    const pure = [
      "const http = require('node:http');",
      'function start(port) {',
      '  return app.listen(port);',
      '}',
      'const later = () => setInterval(tick, 1000);',
      'module.exports = {',
      '  connect() { return db.connect(); },',
      '};',
      "log('call app.listen(3000) to start'); // app.listen(3000)",
      '/* setInterval(',
      '   app.listen( */',
      'const help = `',
      '  server.listen(8080)',
      '`;',
      'exports.summarize = (orders) => orders.reduce((sum, o) => sum + o.price, 0);',
    ].join('\n');
    expect(effect(pure)).toBeNull();
  });

  it('what a main guard protects runs only when the file is the entry, not when a worker requires it', () => {
    expect(effect('if (require.main === module) app.listen(3000);')).toBeNull();
    expect(effect('if (require.main === module)\n  app.listen(3000);')).toBeNull();
    expect(effect('if (require.main === module) {\n  app.listen(3000);\n}\nsetInterval(flush, 1000);')).toMatchObject({ line: 4 });
    expect(effect('if (process.argv[1] === fileURLToPath(import.meta.url)) {\n  app.listen(3000);\n}')).toBeNull();
  });
});

describe('sideEffectsOf', () => {
  const server = '/srv/app/server.js';

  it('the entry file counts whatever its top level does, unless it guards itself', () => {
    expect(sideEffectsOf(server, ['main();'], [server]).entry).toBe(true);
    expect(sideEffectsOf(server, null, [server]).entry).toBe(true);
    expect(sideEffectsOf(server, ['if (require.main === module) main();'], [server]).entry).toBe(false);
    expect(sideEffectsOf('/srv/app/orders.js', ['main();'], [server]).entry).toBe(false);
  });

  it('a pure module has none', () => {
    expect(sideEffectsOf('/srv/app/orders.js', ['exports.total = (xs) => xs.length;'], [server])).toEqual({ entry: false, effect: null });
  });
});

it('the new module sits next to the old one and keeps its extension', () => {
  expect(ownModuleFor('/srv/app/orders.js')).toBe('/srv/app/orders-work.js');
  expect(ownModuleFor('/srv/app/src/report.ts')).toBe('/srv/app/src/report-work.ts');
});
