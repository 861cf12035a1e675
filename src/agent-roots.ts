import * as path from 'node:path';
import { COMPILED_SRC } from './paths';

/**
 * loopwatch's own folders: its compiled code (dist/) and, once frames are source-mapped, its
 * sources (src/). A frame in them is never a stall's site or a promise's creation site.
 */
export const AGENT_ROOTS: readonly string[] = [path.resolve(COMPILED_SRC, '..'), path.resolve(COMPILED_SRC, '..', '..', 'src')];
