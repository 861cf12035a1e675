/**
 * A merged view written back as a `loopwatch/report@1` file (`--merged-json`), with the
 * contributing processes under `merged.processes`, so `loopwatch report` loads it (and merges it
 * with more reports) again.
 */
import type { ReportView } from './load-report';
import { REPORT_SCHEMA } from '../report/report';

export function mergedReportJson(view: ReportView): string {
  const { floating, rejections, merged, ...core } = view;
  const report = {
    schema: REPORT_SCHEMA,
    ...core,
    promises: {
      floating,
      // As src/promises writes them: the message carries the error's name, `site` is where it was raised.
      unhandledRejections: rejections.map(({ message, location, stack, count }) => ({ message, site: location, stack, count })),
    },
    merged: { processes: merged?.processes ?? [] },
  };
  return JSON.stringify(report, null, 2) + '\n';
}
