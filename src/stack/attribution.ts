/**
 * Decides which frame of a stack is "the site": the topmost frame in the app's own code. Time spent
 * inside a dependency or a Node builtin is the app's line that called it.
 */
import * as path from 'node:path';
import type { Frame } from './frames';

export interface AttributionRules {
  /** Path prefixes of the app's own code; empty means "anything outside node_modules". */
  appPaths: readonly string[];
  /** loopwatch's own folders (compiled code, and its sources once source-mapped): never a site. */
  agentRoots: readonly string[];
}

export function isAppFrame(frame: Frame, rules: AttributionRules): boolean {
  const file = frame.file;
  if (file === '' || file.startsWith('node:') || !path.isAbsolute(file)) return false;
  if (isAgentFrame(frame, rules)) return false;
  if (rules.appPaths.length > 0) return rules.appPaths.some((prefix) => file.startsWith(path.resolve(prefix)));
  return !file.split(path.sep).includes('node_modules');
}

/**
 * The site of a stack: its topmost app frame, else its topmost dependency frame. Never one of
 * Node's own (`node:`) frames: they did not cause the stall. A stack with nothing else on it was
 * caught after the blocking call returned (a native call such as `structuredClone`), and has no site.
 */
export function siteOf(stack: readonly Frame[], rules: AttributionRules): Frame | null {
  const appFrame = stack.find((frame) => isAppFrame(frame, rules));
  if (appFrame !== undefined) return appFrame;
  return stack.find((frame) => path.isAbsolute(frame.file) && !isAgentFrame(frame, rules)) ?? null;
}

function isAgentFrame(frame: Frame, rules: AttributionRules): boolean {
  return rules.agentRoots.some((root) => frame.file.startsWith(root + path.sep));
}

/**
 * `src/orders.ts:17`, relative to the working directory when inside it; `src/orders.ts:?` when the
 * line is not known (a frame of code transformed in memory whose map could not be read).
 */
export function shortLocation(frame: Pick<Frame, 'file' | 'line'>, cwd: string): string {
  const relative = path.relative(cwd, frame.file);
  const shown = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : frame.file;
  return `${shown}:${frame.line > 0 ? frame.line : '?'}`;
}
