/**
 * A request whose path exists under another method is answered 405 with an `Allow` header (RFC
 * 9110 §15.5.6), not 404: a client that sent GET to a POST-only route learns what to fix. fastify's
 * router only says "no route"; a second router holding every route's pattern (fed by `onRoute`,
 * so it cannot drift from the real one) says which methods the path has.
 */
import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';

export interface AllowedMethods {
  /** The methods that have a route for this path, or an empty list when none has. */
  of(path: string): string[];
}

const methods: readonly HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Must be called before the routes are registered: it learns them as they are added. */
export function trackAllowedMethods(app: FastifyInstance): AllowedMethods {
  const router = FindMyWay({ ignoreTrailingSlash: false });
  app.addHook('onRoute', (route) => {
    const routeMethods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase() as HTTPMethod);
    for (const method of routeMethods) {
      if (!router.hasRoute(method, route.url)) router.on(method, route.url, () => undefined);
    }
  });
  return {
    of(path: string): string[] {
      return methods.filter((method) => router.find(method, path) !== null);
    },
  };
}
