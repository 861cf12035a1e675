/**
 * Reads the Grafana dashboard the way the tests need it: every panel query, with Grafana's macros and
 * variables replaced by values Prometheus accepts, and the metric names each query selects.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';

export const DASHBOARD_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dashboards', 'loopwatch.json');

export function loadDashboard(): any {
  return JSON.parse(fs.readFileSync(DASHBOARD_PATH, 'utf8'));
}

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

/** Every target of every panel (rows included, in case a collapsed row holds panels). */
export function panelQueries(dashboard: any): PanelQuery[] {
  const out: PanelQuery[] = [];
  const visit = (panels: any[]): void => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) out.push({ panel: panel.title, refId: target.refId, expr: target.expr, instant: target.instant === true });
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  return out;
}

/** Grafana macros and variables, as Grafana would substitute them (All = the `.*` allValue). */
export function substitute(expr: string, intervals: { rate: string; interval: string; range: string }): string {
  return expr
    .replaceAll('$__rate_interval', intervals.rate)
    .replaceAll('$__interval', intervals.interval)
    .replaceAll('$__range', intervals.range)
    .replace(/\$\{?(job|instance|phase)\}?/g, '.*');
}

/** Syntax errors lezer-promql found, as `from-to` offsets (empty when the query parses). */
export function syntaxErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`${node.from}-${node.to}`);
    },
  });
  return errors;
}

/** The metric names a query selects (the identifier of each vector selector). */
export function selectedMetrics(expr: string): string[] {
  const names: string[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        if (identifier) names.push(expr.slice(identifier.from, identifier.to));
      }
    },
  });
  return names;
}
