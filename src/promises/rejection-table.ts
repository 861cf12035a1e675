/**
 * Unhandled rejections for the report: grouped by reason and creation site, counted, bounded.
 */
import { mapFrame, type Frame } from '../stack/frames';
import { isAppFrame, type AttributionRules } from '../stack/attribution';
import { reasonStack, summarizeReason } from './reason';

export const MAX_REJECTIONS = 50;

export interface RejectionEntry {
  name: string;
  message: string;
  /** Where the reason was made: its first app frame (or first frame), source-mapped; null until known. */
  site: Frame | null;
  stack: Frame[];
  /** Where the rejected promise was created (debug mode, when its creation was tracked). */
  createdAt: Frame | null;
  count: number;
}

export interface RejectionTable {
  /**
   * Counts a rejection; `isNew` says its entry was just made (its stack is still to be read), and
   * `kept` that the report holds it (past MAX_REJECTIONS kinds, new ones are only counted).
   */
  add(reason: unknown, createdAt: Frame | null): { entry: RejectionEntry; isNew: boolean; kept: boolean };
  /** Reads the reason's stack into its entry: only once Node is done with the reason (see reason.ts). */
  addStack(entry: RejectionEntry, reason: unknown, rules: AttributionRules): void;
  handledLate: number;
  snapshot(): { unhandledRejections: RejectionEntry[]; rejectionsHandledLate: number; unhandledOverflow?: number };
}

export function createRejectionTable(): RejectionTable {
  const entries = new Map<string, RejectionEntry>();
  let overflow = 0;
  const table: RejectionTable = {
    handledLate: 0,
    add(reason, createdAt) {
      const summary = summarizeReason(reason);
      const key = `${summary.name}\0${summary.message}\0${createdAt === null ? '' : `${createdAt.file}:${createdAt.line}`}`;
      const known = entries.get(key);
      if (known !== undefined) {
        known.count += 1;
        return { entry: known, isNew: false, kept: true };
      }
      const entry: RejectionEntry = { name: summary.name, message: summary.message, site: null, stack: [], createdAt, count: 1 };
      const kept = entries.size < MAX_REJECTIONS;
      if (kept) entries.set(key, entry);
      else overflow += 1;
      return { entry, isNew: true, kept };
    },
    addStack(entry, reason, rules) {
      // Mapping reads source maps: once per kept kind of rejection (see index.ts for the others).
      entry.stack = reasonStack(reason).map(mapFrame);
      entry.site = entry.stack.find((frame) => isAppFrame(frame, rules)) ?? entry.stack[0] ?? null;
    },
    snapshot() {
      return {
        unhandledRejections: [...entries.values()].map((entry) => ({ ...entry, stack: [...entry.stack] })),
        rejectionsHandledLate: table.handledLate,
        ...(overflow > 0 ? { unhandledOverflow: overflow } : {}),
      };
    },
  };
  return table;
}
