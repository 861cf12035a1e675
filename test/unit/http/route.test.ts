import { describe, expect, it } from 'vitest';
import { MAX_ROUTE_CHARS, foldPath, routeKey, routeOf } from '../../../src/http/route';

describe('foldPath', () => {
  it.each([
    ['/users/123', '/users/:id'],
    ['/users/123?full=1#top', '/users/:id'],
    ['/users/4711/orders/9', '/users/:id/orders/:id'],
    ['/items/6f1c0d3e-9a4b-4c2d-8e7f-0123456789ab', '/items/:id'],
    ['/objects/507f1f77bcf86cd799439011', '/objects/:id'],
    ['/files/sha/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', '/files/sha/:id'],
    ['/t/eyJhbGciOiJIUzI1NiJ9abc123xyz', '/t/:id'],
    ['/', '/'],
    ['', '/'],
    ['/health', '/health'],
    ['/api/v2/users', '/api/v2/users'],
    ['/blog/my-first-post', '/blog/my-first-post'],
    ['http://example.com/users/5?x', '/users/:id'],
    ['*', '/*'],
  ])('%s -> %s', (url, route) => {
    expect(foldPath(url)).toBe(route);
  });

  it('keeps words, short hex and version segments: only ids fold', () => {
    expect(foldPath('/cafe/v1/beef')).toBe('/cafe/v1/beef');
  });

  it('bounds the number of segments and the length', () => {
    const deep = '/' + Array.from({ length: 40 }, (_, i) => `s${i}`).join('/');
    expect(foldPath(deep).split('/').length).toBeLessThanOrEqual(11);
    expect(foldPath(deep).endsWith('/...')).toBe(true);
    const long = `/${'word-'.repeat(100)}`;
    expect(foldPath(long).length).toBe(MAX_ROUTE_CHARS);
  });

  it('folds 10,000 distinct ids into one route', () => {
    const routes = new Set(Array.from({ length: 10_000 }, (_, i) => foldPath(`/users/${i * 7919}/avatar`)));
    expect([...routes]).toEqual(['/users/:id/avatar']);
  });
});

describe('routeOf', () => {
  it('takes a Fastify template first, then Express req.route.path under its baseUrl, then the folded URL', () => {
    expect(routeOf({ url: '/users/1' }, '/users/:userId')).toEqual({ route: '/users/:userId', template: true });
    expect(routeOf({ url: '/api/users/1', baseUrl: '/api', route: { path: '/users/:id' } }, undefined)).toEqual({ route: '/api/users/:id', template: true });
    expect(routeOf({ url: '/accounts/42/users/1', baseUrl: '/accounts/42', route: { path: '/users/:id' } }, undefined).route).toBe('/accounts/:id/users/:id');
    expect(routeOf({ url: '/users/1', route: { path: /^\/users/ } }, undefined)).toEqual({ route: '/users/:id', template: false });
    expect(routeOf({ url: '/users/1' }, undefined)).toEqual({ route: '/users/:id', template: false });
  });

  it('never throws, even at a request whose getters do', () => {
    const hostile = Object.defineProperty({}, 'route', {
      get() {
        throw new Error('no');
      },
    });
    expect(routeOf(hostile, undefined)).toEqual({ route: '/', template: false });
  });

  it('names a request METHOD route', () => {
    expect(routeKey({ method: 'GET', route: '/users/:id' })).toBe('GET /users/:id');
  });
});
