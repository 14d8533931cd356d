# syntax=docker/dockerfile:1
# Portcullis edge gateway. Build from the repository root (BuildKit required):
#   docker build -f deploy/docker/gateway.Dockerfile -t portcullis-gateway .

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV CI=true
RUN npm install -g pnpm@10.34.8 && npm cache clean --force
WORKDIR /app
# Manifests only, so the dependency layers are reused until a dependency changes.
# Every workspace manifest is copied: the lockfile names them all.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY shared/package.json shared/
COPY control-plane/package.json control-plane/
COPY gateway/package.json gateway/
COPY dashboard/package.json dashboard/
COPY deploy/package.json deploy/
COPY testing/package.json testing/
COPY e2e/package.json e2e/
COPY bench/package.json bench/

FROM base AS build
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --store-dir /pnpm/store --filter "@portcullis/gateway..."
COPY tsconfig.base.json ./
COPY shared/ shared/
COPY gateway/ gateway/
# --filter-prod: testing/ (the suites' helpers) is a dev dependency and stays out of the image.
RUN pnpm --filter-prod "@portcullis/gateway..." build

# Production dependencies only, plus the compiled output of the gateway and of shared.
FROM base AS prod
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --prod --store-dir /pnpm/store --filter "@portcullis/gateway..."
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /app/gateway/dist gateway/dist

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM to node and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/portcullis/gateway \
 && chown 1000:1000 /var/lib/portcullis/gateway
ENV NODE_ENV=production \
    PORT=8080 \
    GATEWAY_STATE_DIR=/var/lib/portcullis/gateway
# Code stays root-owned (read-only to the app); only the state dir belongs to the node user.
COPY --from=prod /app /app
WORKDIR /app/gateway
# Numeric uid so Kubernetes' runAsNonRoot can verify it (the image's "node" user).
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
