/**
 * Decides which frame of a stack is "the site": the topmost frame in the app's own code. Time spent
 * inside a dependency or a Node builtin is the app's line that called it. A stack with no app frame
 * is the work of one package, which the site names (see siteOf).
 */
import * as path from 'node:path';
import type { Frame, PackageRole } from './frames';

export interface AttributionRules {
  /** Path prefixes of the app's own code; empty means "anything outside node_modules". */
  appPaths: readonly string[];
  /** loopwatch's own folders (compiled code, and its sources once source-mapped): never a site. */
  agentRoots: readonly string[];
  /**
   * The folder of the package the process's main module belongs to, when that module lies inside
   * node_modules (`node node_modules/typescript/lib/tsc.js`, a package's bin): that package is the
   * program being run (see mainPackageRoot in main-package.ts).
   */
  mainPackage?: string | null;
}

export function isAppFrame(frame: Frame, rules: AttributionRules): boolean {
  const file = frame.file;
  if (file === '' || file.startsWith('node:') || !path.isAbsolute(file)) return false;
  if (isAgentFrame(frame, rules)) return false;
  if (rules.appPaths.length > 0) return rules.appPaths.some((prefix) => file.startsWith(path.resolve(prefix)));
  return !file.split(path.sep).includes('node_modules');
}

/**
 * The site of a stack: its topmost app frame. Without one, a frame of the package that owns the
 * work, named in the site's `package` (docs/report.md, "Sites with no app code"):
 * 1. the package of the process's main module, when it is inside node_modules (tsc, a server's
 *    bin): that package is the program being run, so its topmost frame is the site, as an app's
 *    would be: its line that called the leaf library;
 * 2. else the outermost package on the stack, the one Node called into (a library's own callback:
 *    a route or listener it registered), at its topmost frame before another package's: its line
 *    that called the next library. The bottom of a stack stays the same while one callback runs,
 *    so one request's cost is one site, whereas the leaf library changes from sample to sample.
 * Never one of Node's own (`node:`) frames: they did not cause the stall. A stack with nothing else
 * on it was caught after the blocking call returned (a native call such as `structuredClone`), and
 * has no site.
 */
export function siteOf(stack: readonly Frame[], rules: AttributionRules): Frame | null {
  const appFrame = stack.find((frame) => isAppFrame(frame, rules));
  if (appFrame !== undefined) return appFrame;
  const others = stack.filter((frame) => path.isAbsolute(frame.file) && !isAgentFrame(frame, rules));
  const main = rules.mainPackage;
  if (main !== undefined && main !== null) {
    const own = others.find((frame) => packageRootOf(frame.file) === main);
    if (own !== undefined) return named(own, 'main-module');
  }
  let at = others.length - 1;
  if (at < 0) return null;
  const outermost = packageRootOf(others[at]!.file);
  while (at > 0 && packageRootOf(others[at - 1]!.file) === outermost) at -= 1;
  return named(others[at]!, 'outermost');
}

/** The site frame with its package named; a new object: the stack's frames are left as they are. */
function named(frame: Frame, role: PackageRole): Frame {
  const root = packageRootOf(frame.file);
  return root === null ? frame : { ...frame, package: packageName(root), packageRole: role };
}

/**
 * The folder of the package a file belongs to: `/app/node_modules/@scope/name` for
 * `/app/node_modules/@scope/name/lib/x.js` (the innermost node_modules), or null outside node_modules.
 */
export function packageRootOf(file: string): string | null {
  const parts = file.split(/[\\/]/);
  const index = parts.lastIndexOf('node_modules');
  const first = parts[index + 1];
  if (index < 0 || first === undefined) return null;
  const depth = first.startsWith('@') ? 3 : 2;
  // The file itself must lie inside the package's folder.
  if (index + depth >= parts.length) return null;
  return parts.slice(0, index + depth).join(path.sep);
}

/** `typescript` or `@scope/name`, from a package's folder. */
function packageName(root: string): string {
  const parts = root.split(/[\\/]/);
  const last = parts[parts.length - 1]!;
  const scope = parts[parts.length - 2] ?? '';
  return scope.startsWith('@') ? `${scope}/${last}` : last;
}

export function isAgentFrame(frame: Frame, rules: AttributionRules): boolean {
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
