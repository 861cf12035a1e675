import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, expandPath, readOptionsFromEnv } from '../../src/options';

describe('readOptionsFromEnv', () => {
  it('uses the defaults for an empty environment, without warnings', () => {
    const { options, warnings } = readOptionsFromEnv({});
    expect(options).toEqual(DEFAULTS);
    expect(warnings).toEqual([]);
  });

  it('reads every documented variable', () => {
    const { options, warnings } = readOptionsFromEnv({
      LOOPWATCH_MODE: 'DEBUG',
      LOOPWATCH_THRESHOLD_MS: '30',
      LOOPWATCH_HANG_MS: '2000',
      LOOPWATCH_REPORT: 'out-{pid}.json',
      LOOPWATCH_LOG: 'off',
      LOOPWATCH_LOG_FORMAT: 'json',
      LOOPWATCH_APP_PATHS: ' /srv/app/src , /srv/app/lib ',
      LOOPWATCH_STACKS: 'no',
      LOOPWATCH_MAX_CAPTURES_PER_MIN: '0',
      LOOPWATCH_METRICS_PORT: '9464',
      LOOPWATCH_METRICS_HOST: '0.0.0.0',
      LOOPWATCH_METRICS_MAX_SITES: '7',
    });
    expect(warnings).toEqual([]);
    expect(options).toMatchObject({
      mode: 'debug',
      thresholdMs: 30,
      hangMs: 2000,
      // Resolved at start: an app that calls process.chdir() must not move the report.
      report: path.resolve('out-{pid}.json'),
      log: 'off',
      logFormat: 'json',
      appPaths: ['/srv/app/src', '/srv/app/lib'],
      stacks: false,
      maxCapturesPerMinute: 0,
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
      metricsMaxSites: 7,
    });
  });

  it('lowers the default threshold in debug mode only', () => {
    expect(readOptionsFromEnv({ LOOPWATCH_MODE: 'debug' }).options.thresholdMs).toBe(50);
    expect(readOptionsFromEnv({ LOOPWATCH_MODE: 'production' }).options.thresholdMs).toBe(100);
  });

  it.each([
    ['LOOPWATCH_THRESHOLD_MS', 'abc'],
    ['LOOPWATCH_THRESHOLD_MS', '-5'],
    ['LOOPWATCH_THRESHOLD_MS', '1e99'],
    ['LOOPWATCH_THRESHOLD_MS', '12.5'],
    ['LOOPWATCH_HANG_MS', '10'],
    ['LOOPWATCH_MODE', 'loud'],
    ['LOOPWATCH_LOG_FORMAT', 'xml'],
    ['LOOPWATCH_STACKS', 'maybe'],
    ['LOOPWATCH_MAX_SITES', '0'],
    ['LOOPWATCH_METRICS_PORT', '65536'],
    ['LOOPWATCH_METRICS_PORT', '-1'],
    ['LOOPWATCH_METRICS_PORT', 'http'],
    ['LOOPWATCH_METRICS_MAX_SITES', '0'],
  ])('warns with a code and keeps the default for %s=%s', (name, value) => {
    const { options, warnings } = readOptionsFromEnv({ [name]: value });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.code).toBe('LOOPWATCH_BAD_ENV');
    expect(warnings[0]!.message).toContain(name);
    expect(options).toEqual(DEFAULTS);
  });

  it('accepts port 0 (pick a free port), distinct from no port at all', () => {
    expect(readOptionsFromEnv({ LOOPWATCH_METRICS_PORT: '0' }).options.metricsPort).toBe(0);
    expect(readOptionsFromEnv({}).options.metricsPort).toBeNull();
  });

  it('floating-promise detection: off in production, every promise in debug mode, on when a sample rate is set', () => {
    expect(readOptionsFromEnv({}).options).toMatchObject({ floating: false, floatingSample: 100, floatingIgnore: [] });
    expect(readOptionsFromEnv({ LOOPWATCH_MODE: 'debug' }).options).toMatchObject({ floating: true, floatingSample: 1 });
    expect(readOptionsFromEnv({ LOOPWATCH_FLOATING_SAMPLE: '50' }).options).toMatchObject({ floating: true, floatingSample: 50 });
    expect(readOptionsFromEnv({ LOOPWATCH_FLOATING: 'on' }).options).toMatchObject({ floating: true, floatingSample: 100 });
    expect(readOptionsFromEnv({ LOOPWATCH_MODE: 'debug', LOOPWATCH_FLOATING: 'off' }).options.floating).toBe(false);
    expect(readOptionsFromEnv({ LOOPWATCH_FLOATING: 'off', LOOPWATCH_FLOATING_SAMPLE: '10' }).options.floating).toBe(false);
  });

  it('reads LOOPWATCH_STALL_CONTEXT (off unless asked for)', () => {
    expect(readOptionsFromEnv({ LOOPWATCH_MODE: 'debug' }).options.stallContext).toBe(false);
    expect(readOptionsFromEnv({ LOOPWATCH_MODE: 'debug', LOOPWATCH_STALL_CONTEXT: 'yes' }).options.stallContext).toBe(true);
    const { options, warnings } = readOptionsFromEnv({ LOOPWATCH_STALL_CONTEXT: 'maybe' });
    expect(warnings.map((warning) => warning.code)).toEqual(['LOOPWATCH_BAD_ENV']);
    expect(options).toEqual(DEFAULTS);
  });

  it('reads LOOPWATCH_FLOATING_IGNORE as files, folders and file:line entries', () => {
    const { options, warnings } = readOptionsFromEnv({ LOOPWATCH_FLOATING_IGNORE: ' src/jobs.ts:42 , src/background ,,' });
    expect(warnings).toEqual([]);
    expect(options.floatingIgnore).toEqual(['src/jobs.ts:42', 'src/background']);
  });

  it('reads LOOPWATCH_IGNORE_SITES: paths, globs, :line, phase prefixes', () => {
    const { options, warnings } = readOptionsFromEnv({ LOOPWATCH_IGNORE_SITES: ' src/migrate.js:12 , startup:node_modules/** ,, /srv/app/lib/*.js ' });
    expect(warnings).toEqual([]);
    expect(options.ignoreSites).toEqual(['src/migrate.js:12', 'startup:node_modules/**', '/srv/app/lib/*.js']);
    expect(readOptionsFromEnv({}).options.ignoreSites).toEqual([]);
  });

  it('skips a bad LOOPWATCH_IGNORE_SITES entry with one coded warning, and keeps the others', () => {
    const { options, warnings } = readOptionsFromEnv({ LOOPWATCH_IGNORE_SITES: 'src/a.js:3,:12,src/**.js,lib' });
    expect(options.ignoreSites).toEqual(['src/a.js:3', 'lib']);
    expect(warnings).toEqual([
      { code: 'LOOPWATCH_BAD_ENV', message: 'LOOPWATCH_IGNORE_SITES="src/a.js:3,:12,src/**.js,lib": skipping ":12", "src/**.js", not a file, folder or glob with an optional :line; 2 other entries apply' },
    ]);
    expect(warnings[0]!.message).not.toContain('\n');
  });

  it.each([
    ['LOOPWATCH_FLOATING', 'sometimes'],
    ['LOOPWATCH_FLOATING_IGNORE', ':42'],
    ['LOOPWATCH_FLOATING_IGNORE', 'src/jobs.ts:0'],
    ['LOOPWATCH_FLOATING_IGNORE', ','],
  ])('warns with a code and keeps the default for %s=%s', (name, value) => {
    const { options, warnings } = readOptionsFromEnv({ [name]: value });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.code).toBe('LOOPWATCH_BAD_ENV');
    expect(warnings[0]!.message).toContain(name);
    expect(options).toEqual(DEFAULTS);
  });

  it.each(['0', '-1', 'abc', '2.5'])('warns for LOOPWATCH_FLOATING_SAMPLE=%s and keeps the default rate', (value) => {
    const { options, warnings } = readOptionsFromEnv({ LOOPWATCH_FLOATING_SAMPLE: value });
    expect(warnings.map((warning) => warning.code)).toEqual(['LOOPWATCH_BAD_ENV']);
    // A rejected value is no setting: it must not turn on detection (2.8x on await-heavy code)
    // that the defaults keep off. The warning says so; the user fixes the value to turn it on.
    expect(options).toEqual(DEFAULTS);
  });

  it('treats empty and blank values as unset', () => {
    expect(readOptionsFromEnv({ LOOPWATCH_THRESHOLD_MS: '', LOOPWATCH_MODE: '  ' })).toEqual({ options: DEFAULTS, warnings: [] });
  });

  it('truncates huge values in the warning', () => {
    const { warnings } = readOptionsFromEnv({ LOOPWATCH_MODE: 'x'.repeat(100_000) });
    expect(warnings[0]!.message.length).toBeLessThan(300);
  });
});

describe('expandPath', () => {
  it('replaces every {pid}', () => {
    expect(expandPath('/tmp/{pid}/lw-{pid}.json', 42)).toBe('/tmp/42/lw-42.json');
  });
});
