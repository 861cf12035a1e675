/**
 * The features the agent starts, in order. Each is `(context) => stop` (see feature.ts); the stall
 * watchdog itself is not one of them, it is the agent's core.
 */
import type { Feature } from './feature';

export const FEATURES: ReadonlyArray<{ name: string; start: Feature }> = [];
