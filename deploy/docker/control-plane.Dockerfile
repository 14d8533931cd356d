# syntax=docker/dockerfile:1
# Portcullis control plane. Build from the repository root (BuildKit required):
#   docker build -f deploy/docker/control-plane.Dockerfile -t portcullis-control-plane .

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
    pnpm install --frozen-lockfile --store-dir /pnpm/store --filter "@portcullis/control-plane..."
COPY tsconfig.base.json ./
COPY shared/ shared/
COPY control-plane/ control-plane/
# --filter-prod: testing/ (the suites' helpers) is a dev dependency and stays out of the image.
RUN pnpm --filter-prod "@portcullis/control-plane..." build

# Production dependencies only, plus the compiled output of the control plane and of shared.
# dist/ includes the compiled migrations.
FROM base AS prod
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --prod --store-dir /pnpm/store --filter "@portcullis/control-plane..."
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /app/control-plane/dist control-plane/dist

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM to node and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=4000
# Code stays root-owned: the app cannot rewrite itself.
COPY --from=prod /app /app
WORKDIR /app/control-plane
# Numeric uid so Kubernetes' runAsNonRoot can verify it (the image's "node" user).
USER 1000:1000
EXPOSE 4000
# Start-up may wait for Postgres, migrate and bootstrap: hence the longer start period.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/api/openapi.json').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
