import * as path from 'node:path';

/**
 * loopwatch's own folders: its compiled code (dist/) and, once frames are source-mapped, its
 * sources (src/). A frame in them is never a stall's site or a promise's creation site.
 */
export const AGENT_ROOTS: readonly string[] = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..', 'src')];
