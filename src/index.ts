/**
 * loopwatch's programmatic API. Most users need none of it:
 *
 *     node --require loopwatch/preload app.js
 */
export { start, type Agent } from './agent';
export { DEFAULTS, DEBUG_THRESHOLD_MS, readOptionsFromEnv, type Options, type Mode, type LogFormat } from './options';
export { CODES, type WarningCode } from './codes';
export { REPORT_SCHEMA, type Report } from './report/report';
export { registerMetrics, type RegistryLike } from './metrics/registry';
