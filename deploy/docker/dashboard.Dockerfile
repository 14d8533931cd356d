# syntax=docker/dockerfile:1
# Portcullis dashboard (Next.js). Build from the repository root (BuildKit required):
#   docker build -f deploy/docker/dashboard.Dockerfile -t portcullis-dashboard .
# CONTROL_PLANE_URL and TRUSTED_PROXIES are read at run time, so one image fits every environment.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV CI=true \
    NEXT_TELEMETRY_DISABLED=1
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
    pnpm install --frozen-lockfile --store-dir /pnpm/store --filter "@portcullis/dashboard..."
COPY tsconfig.base.json ./
COPY shared/ shared/
COPY dashboard/ dashboard/
# --filter-prod: testing/ (the suites' helpers) is a dev dependency and stays out of the image.
RUN pnpm --filter-prod "@portcullis/dashboard..." build
# Collect what `next start` needs. A next.config.ts would make `next start` require (or try to
# install) TypeScript at run time, so it is transpiled to next.config.mjs here; this assumes the
# config imports nothing but packages.
RUN set -eu; \
    mkdir -p /out/dashboard; \
    cp -a dashboard/.next /out/dashboard/.next; \
    rm -rf /out/dashboard/.next/cache; \
    if [ -d dashboard/public ]; then cp -a dashboard/public /out/dashboard/public; fi; \
    cp -a dashboard/server.mjs /out/dashboard/server.mjs; \
    for f in next.config.js next.config.mjs next.config.cjs; do \
      if [ -e "dashboard/$f" ]; then cp -a "dashboard/$f" /out/dashboard/; fi; \
    done; \
    if [ -e dashboard/next.config.ts ]; then \
      cd dashboard && node -e " \
        const ts = require('typescript'); \
        const fs = require('node:fs'); \
        const out = ts.transpileModule(fs.readFileSync('next.config.ts', 'utf8'), { \
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, \
        }).outputText; \
        fs.writeFileSync('/out/dashboard/next.config.mjs', out);"; \
    fi

# Production dependencies only, plus the built app and shared's compiled output.
FROM base AS prod
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --prod --store-dir /pnpm/store --filter "@portcullis/dashboard..."
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /out/dashboard/ dashboard/

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM to node and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000
COPY --from=prod /app /app
# Next writes its image and fetch caches under .next/cache; everything else stays root-owned.
RUN mkdir -p /app/dashboard/.next/cache && chown 1000:1000 /app/dashboard/.next/cache
WORKDIR /app/dashboard
# Numeric uid so Kubernetes' runAsNonRoot can verify it (the image's "node" user).
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/sign-in').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# server.mjs: Next behind the client-address resolution (TRUSTED_PROXIES); honours PORT, listens on 0.0.0.0.
CMD ["node", "server.mjs"]
