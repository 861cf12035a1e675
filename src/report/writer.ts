/**
 * Writes the JSON report from the watchdog: after stalls, batched (at most one write per
 * REPORT_DEBOUNCE_MS), and at once for a hang or a flush.
 */
import type { StallRecord } from './aggregate';
import type { Report } from './report';

/** Report writes after a stall are batched: at most one per this period. */
export const REPORT_DEBOUNCE_MS = 250;

export interface ReportWriterParts {
  /** null: no report was asked for, and every call is a no-op. */
  path: string | null;
  /** The report as of now; `current` is the stall going on, if any. */
  build(reason: string, current: StallRecord | null): Report;
  /** The main thread's stall going on, for writes that do not say. */
  ongoing(): StallRecord | null;
  writeFile(path: string, report: Report): void;
  onError(error: Error): void;
  setTimeout(callback: () => void, ms: number): unknown;
}

export class ReportWriter {
  private dirty = false;
  private timer = false;

  constructor(private readonly parts: ReportWriterParts) {}

  /** Something changed: write within REPORT_DEBOUNCE_MS. */
  schedule(): void {
    if (this.parts.path === null) return;
    this.dirty = true;
    if (this.timer) return;
    this.timer = true;
    this.parts.setTimeout(() => {
      this.timer = false;
      if (this.dirty) this.write('stall');
    }, REPORT_DEBOUNCE_MS);
  }

  /** Writes now. `current` defaults to the main thread's stall going on. */
  write(reason: string, current: StallRecord | null = this.parts.ongoing()): void {
    const path = this.parts.path;
    if (path === null) return;
    this.dirty = false;
    try {
      this.parts.writeFile(path, this.parts.build(reason, current));
    } catch (error) {
      this.parts.onError(error as Error);
    }
  }
}
