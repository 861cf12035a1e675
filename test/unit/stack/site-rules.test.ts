import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchesSiteRule, parseSiteRule, parseSiteRules } from '../../../src/stack/site-rules';

const cwd = '/srv/app';
const site = (relative: string, line = 1) => ({ file: path.isAbsolute(relative) ? relative : path.join(cwd, relative), line });
/** Whether `entry` (a LOOPWATCH_IGNORE_SITES entry) names `relative:line` in `phase`. */
const matches = (entry: string, relative: string, line = 1, phase: 'startup' | 'runtime' = 'runtime'): boolean => {
  const rule = parseSiteRule(entry, cwd, true);
  expect(rule, `${entry} parses`).not.toBeNull();
  return matchesSiteRule(site(relative, line), [rule!], cwd, phase);
};

describe('LOOPWATCH_IGNORE_SITES entries', () => {
  it('parses a path, :line and a phase prefix', () => {
    expect(parseSiteRule('src/migrate.js:12', cwd, true)).toMatchObject({ path: 'src/migrate.js', line: 12, phase: null, glob: null });
    expect(parseSiteRule(' startup:node_modules/** ', cwd, true)).toMatchObject({ path: 'node_modules/**', line: null, phase: 'startup' });
    expect(parseSiteRule('runtime:src/a.js:3', cwd, true)).toMatchObject({ path: 'src/a.js', line: 3, phase: 'runtime' });
    // A file named `startup`, line 12: a prefix needs a path after it.
    expect(parseSiteRule('startup:12', cwd, true)).toMatchObject({ path: 'startup', line: 12, phase: null });
  });

  it.each([':12', ':banana', '', '  ', 'src/a.js:0', 'startup:', 'startup::3', 'src/**.js', '***', 'src/a**/b.js'])('rejects %j', (entry) => {
    expect(parseSiteRule(entry, cwd, true)).toBeNull();
  });

  it('keeps the good entries of a list and names the bad ones', () => {
    expect(parseSiteRules(['src/a.js:3', ':3', 'lib/**'], cwd, true)).toMatchObject({ rules: [{ path: 'src/a.js' }, { path: 'lib/**' }], bad: [':3'] });
  });

  it('matches a file, a line of it, a folder, relative to the working directory or absolute', () => {
    expect(matches('src/migrate.js', 'src/migrate.js', 12)).toBe(true);
    expect(matches('src/migrate.js:12', 'src/migrate.js', 12)).toBe(true);
    expect(matches('src/migrate.js:13', 'src/migrate.js', 12)).toBe(false);
    expect(matches('src', 'src/migrate.js', 12)).toBe(true);
    expect(matches('./src/', 'src/migrate.js', 12)).toBe(true);
    expect(matches('/srv/app/src/migrate.js:12', 'src/migrate.js', 12)).toBe(true);
    expect(matches('/srv/other/src/migrate.js', 'src/migrate.js', 12)).toBe(false);
    expect(matches('src/migrate', 'src/migrate.js', 12)).toBe(false);
    expect(matches('lib', 'src/migrate.js', 12)).toBe(false);
  });

  it('matches a path tail, as LOOPWATCH_FLOATING_IGNORE does', () => {
    expect(matches('migrate.js:12', 'src/migrate.js', 12)).toBe(true);
    expect(matches('grate.js', 'src/migrate.js', 12)).toBe(false);
  });

  it('matches globs: * within a segment, ** across segments, from the working directory', () => {
    expect(matches('src/*.js', 'src/migrate.js')).toBe(true);
    expect(matches('src/*.js', 'src/db/migrate.js')).toBe(false);
    expect(matches('src/*.ts', 'src/migrate.js')).toBe(false);
    expect(matches('src/**/*.js', 'src/migrate.js')).toBe(true);
    expect(matches('src/**/*.js', 'src/db/seed/migrate.js')).toBe(true);
    expect(matches('**/seed/*.js:7', 'src/db/seed/migrate.js', 7)).toBe(true);
    expect(matches('**/seed/*.js:7', 'src/db/seed/migrate.js', 8)).toBe(false);
    expect(matches('node_modules/**', 'node_modules/bcryptjs/dist/bcrypt.js')).toBe(true);
    expect(matches('node_modules/**', 'src/node_modules.js')).toBe(false);
    // A glob naming a folder names what is under it.
    expect(matches('src/d*', 'src/db/seed/migrate.js')).toBe(true);
    // Anchored: a glob is not a path tail (else `*.js` would silence everything).
    expect(matches('*.js', 'src/migrate.js')).toBe(false);
    expect(matches('*.js', 'main.js')).toBe(true);
    expect(matches('/srv/*/src/*.js', 'src/migrate.js')).toBe(true);
    // Dots and other regular-expression characters are literal.
    expect(matches('src/migrate.js', 'src/migrateXjs')).toBe(false);
    expect(matches('src/*.js', 'src/migrateXjs')).toBe(false);
    expect(matches('src/(a)+*.js', 'src/(a)+b.js')).toBe(true);
  });

  it('applies a phase prefix to stalls of that phase only', () => {
    expect(matches('startup:node_modules/**', 'node_modules/x/index.js', 1, 'startup')).toBe(true);
    expect(matches('startup:node_modules/**', 'node_modules/x/index.js', 1, 'runtime')).toBe(false);
    expect(matches('runtime:src/a.js', 'src/a.js', 1, 'runtime')).toBe(true);
    expect(matches('runtime:src/a.js', 'src/a.js', 1, 'startup')).toBe(false);
    expect(matches('src/a.js', 'src/a.js', 1, 'startup')).toBe(true);
  });
});
