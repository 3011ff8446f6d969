# syntax=docker/dockerfile:1
# MiniShop inventory service. Three stages: compile TypeScript with the dev dependencies, install
# the production dependencies alone, then a runtime image with neither the compiler nor the tests.
#   docker build -t minishop/inventory-service .
#   docker run -p 8083:8083 -e DATABASE_URL=postgres://... -e REDIS_URL=redis://... minishop/inventory-service
# Node 22 LTS: Node 20 left support in April 2026, and some dependencies (content-disposition 3
# under @fastify/static, cookie 2 under fastify's light-my-request) declare node >= 22. The tests run on Node 20 too.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# dist/ holds the server and the reconciliation worker (dist/reconcile/reconcile-worker.js).
RUN npm run build

FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the service's user: the process cannot rewrite its own code.
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# package.json: the version OpenAPI reports; config/: defaults that env variables override;
# migrations/: applied on start (paths are resolved relative to dist/, so the layout must match).
COPY package.json ./
COPY config ./config
COPY migrations ./migrations
USER node
EXPOSE 8083
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8083) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains the actors (close-with-grace); node runs as PID 1 and handles it itself.
STOPSIGNAL SIGTERM
CMD ["node", "dist/server.js"]
