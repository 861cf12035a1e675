/**
 * prom-client, loaded when the first metric is made: ~40 ms of start-up that a process which never
 * serves or registers metrics does not pay (feed.ts holds its stalls meanwhile). Modules here take
 * its types with `import type` and its values from this function.
 */
type PromClient = typeof import('prom-client');

let promClient: PromClient | null = null;

export function prom(): PromClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  promClient ??= require('prom-client') as PromClient;
  return promClient;
}
