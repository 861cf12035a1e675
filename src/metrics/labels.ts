/**
 * Label objects for prom-client without a prototype. prom-client checks labels with `for...in`,
 * which also walks inherited keys: an app that pollutes Object.prototype (pino's test suite does,
 * on purpose) made every metric throw "Added label ... is not included in initial labelset" and
 * /metrics answer 500. A label-less call gets an empty object of this kind too: prom-client's own
 * default `{}` has the prototype.
 */
export function labels<T extends Record<string, string>>(values: T): T {
  return Object.assign(Object.create(null) as T, values);
}

/** For metrics without labels: `gauge.set(noLabels(), value)`. */
export function noLabels(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
