/**
 * The route a request is counted under: its framework's route template when routing found one
 * (Express `req.route.path`, Fastify `request.routeOptions.url`), else its path with the ids folded
 * (`/users/42/orders/9f1c...` -> `/users/:id/orders/:id`). Bounded either way: every distinct route
 * is a key in the report and a label value in the metrics.
 */

/** A route longer than this is cut (and ends with `...`). */
export const MAX_ROUTE_CHARS = 120;
/** Path segments kept; more are folded into one `...`. */
const MAX_SEGMENTS = 8;
const NUMERIC = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Hex of 16+ digits: object ids (24), hashes, tokens. */
const LONG_HEX = /^[0-9a-f]{16,}$/i;
/**
 * A long segment mixing letters and digits (a base64 token, a slug with a number in it): ids in
 * practice, and unbounded as labels otherwise.
 */
const LONG_TOKEN = /^(?=.*\d)[\w~.%=-]{20,}$/;

/** `/users/:id` for `/users/123?x=1`. Pure; never throws. */
export function foldPath(url: string): string {
  let end = url.length;
  const query = url.indexOf('?');
  if (query !== -1) end = query;
  const hash = url.indexOf('#');
  if (hash !== -1 && hash < end) end = hash;
  // An absolute-form request target (a proxy request): only its path counts.
  let start = 0;
  if (!url.startsWith('/')) {
    const scheme = url.indexOf('://');
    start = scheme === -1 ? 0 : url.indexOf('/', scheme + 3);
    if (start === -1 || start >= end) return '/';
  }
  const segments = url.slice(start, end).split('/');
  const folded: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    if (folded.length > MAX_SEGMENTS) {
      folded.push('...');
      break;
    }
    folded.push(foldSegment(segments[i]!));
  }
  const path = folded.join('/') || '/';
  return bounded(path.startsWith('/') ? path : `/${path}`);
}

function foldSegment(segment: string): string {
  if (segment === '') return segment;
  if (NUMERIC.test(segment) || UUID.test(segment) || LONG_HEX.test(segment) || LONG_TOKEN.test(segment)) return ':id';
  return segment;
}

/** A route template or folded path cut to MAX_ROUTE_CHARS. */
export function bounded(route: string): string {
  return route.length <= MAX_ROUTE_CHARS ? route : `${route.slice(0, MAX_ROUTE_CHARS - 3)}...`;
}

/** The request objects the route is read from, as the frameworks leave them. */
interface RoutedRequest {
  url?: unknown;
  baseUrl?: unknown;
  route?: { path?: unknown } | null;
}

/**
 * The route of a request, read when a stall is recorded (never at request start: routing has not
 * happened then). `fastifyRoute` is what Fastify's request said, when loopwatch has one.
 * `template` says whether a framework named it.
 */
export function routeOf(req: RoutedRequest, fastifyRoute: string | undefined): { route: string; template: boolean } {
  try {
    if (typeof fastifyRoute === 'string') return { route: bounded(fastifyRoute), template: true };
    // Express 4 and 5: set on the request when a route matched; a router mounted at /api keeps
    // its prefix in baseUrl (itself possibly with params, but as the app wrote it).
    const path = req.route?.path;
    if (typeof path === 'string') {
      const base = typeof req.baseUrl === 'string' ? req.baseUrl : '';
      return { route: bounded(foldBase(base) + path), template: true };
    }
    // A RegExp route has no string path: the folded URL says more than its source.
    return { route: foldPath(typeof req.url === 'string' ? req.url : '/'), template: false };
  } catch {
    // A getter of the app's that throws: the request is still counted, as '/'.
    return { route: '/', template: false };
  }
}

/** Express's `baseUrl` is the matched prefix as requested (`/api/users/42`): its ids are folded too. */
function foldBase(base: string): string {
  return base === '' ? '' : foldPath(base);
}

/** How a request is named in the report's `routes`, the log and the metrics: `GET /users/:id`. */
export function routeKey(request: { method: string; route: string }): string {
  return `${request.method} ${request.route}`;
}

/** Marks loopwatch's own HTTP server (/metrics): its requests are left out of every stall's context. */
export const OWN_SERVER = Symbol.for('loopwatch.ownServer');
