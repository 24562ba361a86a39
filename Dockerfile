# syntax=docker/dockerfile:1
# Build: compile TypeScript and bundle the admin page with the full, locked dependency tree, then drop
# the development packages. CI replays this stage outside Docker (.ci/image-replay): keep each step a
# plain COPY or RUN.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
RUN npm run build
# prune keeps TypeScript, which bull-board's validator lists as an optional peer (for types only): 23 MB
# the running service never loads.
RUN npm prune --omit=dev --no-audit --no-fund && rm -rf node_modules/typescript

# Run: production packages and compiled JavaScript only (no dev tooling, no TypeScript sources), as the
# unprivileged `node` user, which can write nothing here.
FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
# The worker serves /healthz, /readyz and /metrics here; the API serves them on PORT (3000).
ENV WORKER_METRICS_PORT=9464
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
USER node
EXPOSE 3000 9464
# Both roles: healthy while the process listening in this container answers /readyz with 200.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=4 CMD ["node", "dist/src/healthcheck.js"]
# The API; the worker runs the same image with: node dist/workers/provision.worker.js
CMD ["node", "dist/src/server.js"]
