import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isAppFrame, packageRootOf, shortLocation, siteOf } from '../../../src/stack/attribution';
import { mainPackageRoot } from '../../../src/stack/main-package';

const rules = { appPaths: [], agentRoots: ['/opt/loopwatch/dist', '/opt/loopwatch/src'] };
const frame = (file: string, line = 1) => ({ file, line, column: 1, function: 'f' });

describe('attribution', () => {
  it('skips Node internals, dependencies and loopwatch itself', () => {
    expect(isAppFrame(frame('node:internal/timers'), rules)).toBe(false);
    expect(isAppFrame(frame('/srv/app/node_modules/lodash/lodash.js'), rules)).toBe(false);
    expect(isAppFrame(frame('/opt/loopwatch/dist/src/agent.js'), rules)).toBe(false);
    expect(isAppFrame(frame('/srv/app/src/orders.ts'), rules)).toBe(true);
  });

  it('names the app line that called into a dependency', () => {
    const stack = [frame('/srv/app/node_modules/marked/lib/marked.cjs', 900), frame('/srv/app/src/render.js', 12), frame('node:internal/timers')];
    expect(siteOf(stack, rules)?.line).toBe(12);
  });

  it('honours LOOPWATCH_APP_PATHS', () => {
    const only = { ...rules, appPaths: ['/srv/app/src'] };
    expect(isAppFrame(frame('/srv/app/scripts/x.js'), only)).toBe(false);
    expect(isAppFrame(frame('/srv/app/src/x.js'), only)).toBe(true);
  });

  it("falls back to a dependency's top frame when no app frame exists, never to one of Node's own", () => {
    expect(siteOf([frame('node:zlib', 5), frame('/srv/app/node_modules/pg/lib/client.js', 9)], rules)?.line).toBe(9);
    // Node's own frame did not cause the stall: with nothing else on the stack, there is no site.
    expect(siteOf([frame('node:internal/async_hooks', 487), frame('node:internal/process/task_queues')], rules)).toBeNull();
    expect(siteOf([frame('', 0)], rules)).toBeNull();
    expect(siteOf([], rules)).toBeNull();
  });

  it('with no app frame, names the outermost package, at its last frame before another package', () => {
    const stack = [
      frame('/srv/app/node_modules/search/index.js', 12),
      frame('/srv/app/node_modules/search/index.js', 30),
      frame('/srv/app/node_modules/router/index.js', 10),
      frame('node:events', 519),
      frame('/srv/app/node_modules/router/index.js', 4),
      frame('node:_http_server', 1100),
    ];
    // Whichever search function a capture lands in, the site is the router's line that called it.
    expect(siteOf(stack, rules)).toMatchObject({ line: 10, package: 'router', packageRole: 'outermost' });
    expect(siteOf([frame('/srv/app/node_modules/search/index.js', 3), ...stack.slice(2)], rules)).toMatchObject({ line: 10 });
    // The stack's own frame is left as it was.
    expect(stack[2]).not.toHaveProperty('package');
  });

  it("the main module's package, when it is in node_modules, owns the work: its topmost frame", () => {
    const main = { ...rules, mainPackage: '/srv/app/node_modules/@acme/server' };
    const stack = [
      frame('/srv/app/node_modules/lodash/lodash.js', 900),
      frame('/srv/app/node_modules/@acme/server/lib/routes.js', 44),
      frame('/srv/app/node_modules/express/lib/router/layer.js', 95),
    ];
    expect(siteOf(stack, main)).toMatchObject({ line: 44, package: '@acme/server', packageRole: 'main-module' });
    // A package bundled inside the main one is another package.
    expect(siteOf([frame('/srv/app/node_modules/@acme/server/node_modules/qs/index.js', 7), stack[2]!], main)).toMatchObject({ line: 95, package: 'express' });
    // App code still comes first (a user's plugin or config run by the tool).
    expect(siteOf([stack[0]!, frame('/srv/app/plugin.js', 3), stack[1]!], main)).toEqual(frame('/srv/app/plugin.js', 3));
  });

  it('packageRootOf: the innermost package folder, scoped or not', () => {
    expect(packageRootOf('/a/node_modules/typescript/lib/_tsc.js')).toBe(path.join('/a/node_modules/typescript'));
    expect(packageRootOf('/a/node_modules/x/node_modules/@s/y/index.js')).toBe(path.join('/a/node_modules/x/node_modules/@s/y'));
    expect(packageRootOf('/a/src/x.js')).toBeNull();
    expect(packageRootOf('/a/node_modules/.bin')).toBeNull();
  });

  it("mainPackageRoot resolves a bin's symlink to its package; null outside node_modules or without a script", () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-main-')));
    const lib = path.join(dir, 'node_modules', 'tool', 'lib');
    fs.mkdirSync(lib, { recursive: true });
    fs.mkdirSync(path.join(dir, 'node_modules', '.bin'));
    fs.writeFileSync(path.join(lib, 'cli.js'), '');
    fs.symlinkSync('../tool/lib/cli.js', path.join(dir, 'node_modules', '.bin', 'tool'));
    fs.writeFileSync(path.join(dir, 'app.js'), '');
    expect(mainPackageRoot('node_modules/.bin/tool', dir)).toBe(path.join(dir, 'node_modules', 'tool'));
    expect(mainPackageRoot(path.join(dir, 'app.js'), dir)).toBeNull();
    expect(mainPackageRoot('missing.js', dir)).toBeNull();
    expect(mainPackageRoot(undefined, dir)).toBeNull();
    fs.rmSync(dir, { recursive: true });
  });

  it('shows paths relative to the working directory', () => {
    expect(shortLocation(frame('/srv/app/src/a.ts', 17), '/srv/app')).toBe('src/a.ts:17');
    expect(shortLocation(frame('/elsewhere/a.ts', 3), '/srv/app')).toBe('/elsewhere/a.ts:3');
  });
});
