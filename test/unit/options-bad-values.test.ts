/**
 * One LOOPWATCH_* variable at a time, each kind of bad value (the table in
 * test/integration/faults/env-matrix.ts): the options are exactly the defaults and there is exactly
 * one LOOPWATCH_BAD_ENV warning naming the variable ("A bad value prints one LOOPWATCH_BAD_ENV
 * warning and the default is used"). Blank values are documented as unset: no warning.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, readOptionsFromEnv } from '../../src/options';
import { BAD_CLASSES, type BadClass, badSetting, variablesReadByOptions } from '../integration/faults/env-matrix';

const cases = variablesReadByOptions().flatMap((name) =>
  (Object.keys(BAD_CLASSES) as BadClass[]).map((cls) => ({ name, cls, setting: badSetting(name, cls) })),
);

describe('one bad variable at a time', () => {
  it.each(cases.filter((c) => c.setting.warns))('$name $cls ($setting.value): the defaults, one coded warning', ({ name, setting }) => {
    const { options, warnings } = readOptionsFromEnv({ [name]: setting.value });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'LOOPWATCH_BAD_ENV' });
    expect(warnings[0]!.message.startsWith(`${name}=`)).toBe(true);
    expect(options).toEqual(DEFAULTS);
  });

  it.each(cases.filter((c) => c.cls === 'empty'))('$name empty: unset, the defaults, no warning', ({ name }) => {
    const { options, warnings } = readOptionsFromEnv({ [name]: '' });
    expect(warnings).toEqual([]);
    expect(options).toEqual(DEFAULTS);
  });

  it('a bad LOOPWATCH_FLOATING_SAMPLE does not count as set: floating-promise detection stays off', () => {
    // README: LOOPWATCH_FLOATING defaults to off, "on in debug, or when LOOPWATCH_FLOATING_SAMPLE is set".
    // A value loopwatch cannot use is ignored ("the default was used"): it must not turn detection on.
    const { options, warnings } = readOptionsFromEnv({ LOOPWATCH_FLOATING_SAMPLE: 'banana' });
    expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^LOOPWATCH_FLOATING_SAMPLE="banana"/)]);
    expect(options.floating).toBe(false);
  });
});
