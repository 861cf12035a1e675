/**
 * What the watchdog worker runs first: its bundle (scripts/bundle.mjs), loaded with the bytecode an
 * earlier start saved (src/code-cache.ts). The worker compiles as much code as the main thread's
 * preload does, and until it is ready a stall is not seen and an exit waits for it to boot.
 */
import { requireWithCodeCache } from '../code-cache';
import { WATCHDOG_BUNDLE_FILE } from '../paths';

requireWithCodeCache(WATCHDOG_BUNDLE_FILE);
