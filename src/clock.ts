/**
 * The clock loopwatch reads on the app's threads, taken when loopwatch loads. Fake timers that an
 * app or its test runner installs later (Jest's modern timers, @sinonjs/fake-timers: both replace
 * `process.hrtime` and `performance.now` by default) must not reach it: a heartbeat written from a
 * fake clock looked to the watchdog, which reads the real one, like a stall of hours.
 */
export const nowNs: () => bigint = process.hrtime.bigint.bind(process.hrtime);

/** Milliseconds on the same clock, for durations. */
export const nowMs = (): number => Number(nowNs()) / 1e6;
