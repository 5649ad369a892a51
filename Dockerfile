# syntax=docker/dockerfile:1
# compliance-gate: the GitHub App as a container image (README, "Running in production").
#   docker build -t compliance-gate .
#   docker run --env-file compliance-gate.env -p 3000:3000 compliance-gate
# test/deploy/dockerfile.test.ts reads this file: its Node.js line, user, HOST, PORT, health check
# and command are held to package.json and to deploy/kubernetes/.

# Node.js 24 LTS ("Krypton", supported until 2028-04-30): Node.js 20 reached end of life on
# 2026-04-30 and a runtime dependency (content-type) asks for Node.js >= 22. Debian 13 (trixie).
ARG NODE_IMAGE=node:24-trixie-slim

# Compiles src/ to lib/ with the dev dependencies (TypeScript), which the runtime image leaves out.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: "prepare" would build before src/ is copied; the build is the next step.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

# The runtime dependencies only, exactly as the lock file says.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
# tini runs as PID 1: it hands SIGTERM to node (the app's graceful shutdown) and reaps children;
# node itself as PID 1 would get no default signal handling.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
# HOST: listen on every interface of the container, not only its loopback. LOG_FORMAT=json: one
# JSON line per log record (npm start's Probot logs pretty, multi-line text otherwise, NODE_ENV or not).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY package.json app.yml ./
COPY bin ./bin
# The image's `node` user, by number so that Kubernetes' runAsNonRoot can verify it; the files
# above stay root's, so the app cannot change its own code.
USER 1000:1000
EXPOSE 3000
# /healthz: the process is alive (readiness, /readyz, is the orchestrator's business). The image
# has no curl: Node's own fetch asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# What `npm start` runs, without its `prestart` build (lib/ is built above).
CMD ["node", "lib/server.js"]
