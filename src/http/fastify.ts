/**
 * Fastify's route templates, read without touching a request: Fastify publishes each instance it
 * creates on the `fastify.initialization` channel; loopwatch adds an `onRoute` hook there (Fastify's
 * own way to observe routes, called at registration, never per request) and keeps, per instance,
 * which handler serves which template. At a stall, `fastify.findRoute` (the router Fastify itself
 * uses) says which handler a request's method and path reach, and so its template
 * (`request.routeOptions.url` as the handler saw it). The raw request Node hands loopwatch has no
 * link to Fastify's request object, and Fastify's `tracing:fastify.request.handler` channel would
 * add frames to every handler's stack.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';

/** Instances remembered (tests and apps that build one per request would otherwise grow this). */
const MAX_INSTANCES = 16;
/** Routes remembered per instance. */
const MAX_ROUTES = 5000;

interface RouteSeen {
  method: string | string[];
  url: string;
  handler: unknown;
}

interface FastifyLike {
  server?: unknown;
  addHook?(name: 'onRoute', hook: (route: RouteSeen) => void): unknown;
  findRoute?(options: { method: string; url: string }): { handler?: unknown; params?: Record<string, unknown> } | null;
}

interface Instance {
  fastify: FastifyLike;
  /** handler -> the templates it serves, by method. */
  routes: Map<unknown, Array<{ method: string; url: string }>>;
  count: number;
}

export interface FastifyRoutes {
  /** The template of the route that serves `method path` on `server`, if a Fastify instance serves it. */
  routeFor(server: unknown, method: string, path: string): string | undefined;
  stop(): void;
}

export function watchFastify(): FastifyRoutes {
  const instances: Instance[] = [];
  const onInit = (message: unknown): void => {
    try {
      const fastify = (message as { fastify?: FastifyLike } | null)?.fastify;
      if (fastify === undefined || typeof fastify.addHook !== 'function' || instances.length >= MAX_INSTANCES) return;
      const instance: Instance = { fastify, routes: new Map(), count: 0 };
      instances.push(instance);
      fastify.addHook('onRoute', (route) => {
        if (instance.count >= MAX_ROUTES || typeof route.url !== 'string') return;
        instance.count += 1;
        const list = instance.routes.get(route.handler) ?? [];
        for (const method of Array.isArray(route.method) ? route.method : [route.method]) list.push({ method: String(method).toUpperCase(), url: route.url });
        instance.routes.set(route.handler, list);
      });
    } catch {
      // Not the Fastify this was written for: its requests are named by their folded paths.
    }
  };
  diagnosticsChannel.subscribe('fastify.initialization', onInit);
  return {
    routeFor(server, method, path) {
      for (const instance of instances) {
        if (instance.fastify.server !== server || typeof instance.fastify.findRoute !== 'function') continue;
        const found = instance.fastify.findRoute({ method, url: path });
        const candidates = found ? (instance.routes.get(found.handler) ?? []) : [];
        const sameMethod = candidates.filter((each) => each.method === method);
        if (sameMethod.length === 1) return sameMethod[0]!.url;
        // One handler serving several routes: the one whose parameters are the ones found.
        const names = Object.keys(found?.params ?? {});
        return sameMethod.find((each) => names.every((name) => each.url.includes(`:${name}`)))?.url;
      }
      return undefined;
    },
    stop() {
      diagnosticsChannel.unsubscribe('fastify.initialization', onInit);
    },
  };
}
