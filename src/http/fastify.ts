/**
 * Fastify's route templates, read without touching a request: Fastify publishes each instance it
 * creates on the `fastify.initialization` channel; loopwatch adds an `onRoute` hook there (Fastify's
 * own way to observe routes, called at registration, never per request) and keeps, per instance,
 * its route templates. At a stall, `fastify.findRoute` (the router Fastify itself uses) says which
 * parameters a request's method and path match, and the template they fill in to that very path is
 * its route (`request.routeOptions.url` as the handler saw it). The raw request Node hands loopwatch has no
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
  routes: Array<{ method: string; url: string }>;
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
      const instance: Instance = { fastify, routes: [] };
      instances.push(instance);
      fastify.addHook('onRoute', (route) => {
        if (instance.routes.length >= MAX_ROUTES || typeof route.url !== 'string') return;
        for (const method of Array.isArray(route.method) ? route.method : [route.method]) instance.routes.push({ method: String(method).toUpperCase(), url: route.url });
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
        if (!found) continue;
        const params = found.params ?? {};
        return instance.routes.find((each) => each.method === method && fillIn(each.url, params) === path)?.url;
      }
      return undefined;
    },
    stop() {
      diagnosticsChannel.unsubscribe('fastify.initialization', onInit);
    },
  };
}

/** `/items/:id(^\\d+$)/*` with `{ id: '7', '*': 'a/b' }` -> `/items/7/a/b`. */
export function fillIn(template: string, params: Record<string, unknown>): string {
  return template.replace(/:(\w+)(\([^)]*\))?|\*/g, (match, name: string | undefined) => {
    const value = params[name ?? '*'];
    return typeof value === 'string' ? value : match;
  });
}
