import { describe, expect, it } from 'vitest';
import { isAppFrame, shortLocation, siteOf } from '../../../src/stack/attribution';

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

  it('shows paths relative to the working directory', () => {
    expect(shortLocation(frame('/srv/app/src/a.ts', 17), '/srv/app')).toBe('src/a.ts:17');
    expect(shortLocation(frame('/elsewhere/a.ts', 3), '/srv/app')).toBe('/elsewhere/a.ts:3');
  });
});
