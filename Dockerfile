# syntax=docker/dockerfile:1
# Build: compile TypeScript with the full dependency tree.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV REDISMS_DISABLE_POSTINSTALL=1
COPY package.json package-lock.json .npmrc ./
# npm install (not ci): the lock file lacks other platforms' optional native builds; it installs the locked versions.
RUN npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
RUN npm run build && npm prune --omit=dev --ignore-scripts

# Run: production dependencies and compiled JavaScript only, as the unprivileged `node` user.
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The admin page (/admin) is bundled from TypeScript by esbuild in memory when the API starts; it
# imports a few shared constants from src/domain, so the sources come along (read-only).
COPY --from=build /app/src ./src
COPY --chown=node:node package.json ./
USER node
EXPOSE 3000
CMD ["node", "dist/src/server.js"]
