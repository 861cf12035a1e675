/**
 * Turns a rejection reason (anything: an Error, a string, a Proxy, an object with throwing getters,
 * an Error with a 50 MB message) into small plain data. Every read is guarded and every string is
 * cut and copied, so a record never keeps the app's huge strings alive.
 */
import { urlToPath, type Frame } from '../stack/frames';

export const MAX_MESSAGE_CHARS = 500;
/** Only the head of `error.stack` is parsed: the frames come after the message, which may be huge. */
const MAX_STACK_CHARS = 8192;
export const MAX_REASON_FRAMES = 10;

export interface ReasonSummary {
  /** `Error`, `TypeError`, or the primitive's type (`string`, `number`, `undefined`, ...). */
  name: string;
  message: string;
  /** The reason's own stack (where the error was made), 1-based, not yet source-mapped. */
  stack: Frame[];
}

/**
 * Name and message only. Never `stack`: reading it formats the stack trace, after which Node can
 * no longer print the `file:line` + source line + `^` header of a crash (measured: the header
 * became `node:internal/process/promises:391`). See {@link reasonStack}.
 */
export function summarizeReason(reason: unknown): ReasonSummary {
  if (reason === null || (typeof reason !== 'object' && typeof reason !== 'function')) {
    return { name: reason === null ? 'null' : typeof reason, message: bounded(safeString(reason)), stack: [] };
  }
  const name = bounded(readString(reason, 'name') ?? 'Object', 100);
  const message = bounded(readString(reason, 'message') ?? safeString(reason));
  return { name, message, stack: [] };
}

/**
 * The reason's stack frames. Only call it once Node is done with the reason (a later turn of the
 * loop, when the process survived the rejection): see {@link summarizeReason}.
 */
export function reasonStack(reason: unknown): Frame[] {
  if (reason === null || (typeof reason !== 'object' && typeof reason !== 'function')) return [];
  const stackText = readString(reason, 'stack');
  // The message is part of the stack text: skip past it before cutting, so a huge message still
  // leaves the frames readable.
  const framesText = stackText === undefined ? '' : stackText.slice(Math.max(0, stackText.indexOf('\n    at ')), MAX_STACK_CHARS + Math.max(0, stackText.indexOf('\n    at ')));
  return parseStackFrames(framesText);
}

/** Parses V8's `    at fn (file:line:col)` / `    at file:line:col` lines. */
export function parseStackFrames(text: string): Frame[] {
  const frames: Frame[] = [];
  for (const raw of text.split('\n')) {
    if (frames.length >= MAX_REASON_FRAMES) break;
    const line = raw.trim();
    if (!line.startsWith('at ')) continue;
    const body = line.slice(3).replace(/^async /, '');
    const withName = /^(.*?) \((.*):(\d+):(\d+)\)$/.exec(body);
    const bare = withName === null ? /^(.*):(\d+):(\d+)$/.exec(body) : null;
    if (withName !== null) {
      frames.push({ function: copy(withName[1]!), file: urlToPath(copy(withName[2]!)), line: Number(withName[3]), column: Number(withName[4]) });
    } else if (bare !== null) {
      frames.push({ function: '(anonymous)', file: urlToPath(copy(bare[1]!)), line: Number(bare[2]), column: Number(bare[3]) });
    }
  }
  return frames;
}

function readString(object: object, key: string): string | undefined {
  try {
    const value: unknown = (object as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function safeString(value: unknown): string {
  try {
    if (typeof value === 'symbol') return value.toString();
    // Plain objects and Proxies: the tag is enough and never runs app code.
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) return Object.prototype.toString.call(value);
    return String(value);
  } catch {
    return '(unprintable)';
  }
}

function bounded(text: string, max = MAX_MESSAGE_CHARS): string {
  return text.length > max ? copy(`${text.slice(0, max)}... (${text.length} chars)`) : copy(text);
}

/**
 * A real copy: V8 may represent `slice()` as a view into the original string, which would keep a
 * 50 MB message alive as long as our record.
 */
function copy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}
