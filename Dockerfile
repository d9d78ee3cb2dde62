# One image for every quantgrid process:
#   docker run IMAGE coordinator --consul http://consul:8500 --redis redis://redis:6379
#   docker run IMAGE agent --consul http://consul:8500 --advertise-address HOST --slots 8
#   docker run IMAGE cli --coordinator coordinator:7000 jobs

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped here: "prepare" builds, and the sources are not copied yet.
# npm install rather than npm ci: see scripts/setup.sh. isolated-vm (the user strategies' sandbox) has
# no prebuilt binary for Node 20: node-gyp builds it, with python3, make and g++; esbuild fetches its
# platform binary in its install script. Both are rebuilt here, their scripts run.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
RUN npm install --ignore-scripts --no-audit --no-fund && npm rebuild isolated-vm esbuild
COPY tsconfig.json ./
COPY proto proto
COPY scripts scripts
COPY shared shared
COPY coordinator coordinator
COPY node-agent node-agent
COPY cli cli
COPY dashboard-ui dashboard-ui
RUN bash scripts/build.sh && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/proto proto
# The proto package as a descriptor made at build time (scripts/gen-proto.sh): every process loads it.
COPY --from=build /app/shared/generated/quantgrid-v1.json shared/generated/quantgrid-v1.json
COPY scripts/container-entrypoint.sh /usr/local/bin/quantgrid-entrypoint
USER node
# 7000: coordinator API; 7070: agent
EXPOSE 7000 7070
ENTRYPOINT ["/usr/local/bin/quantgrid-entrypoint"]
CMD ["--help"]
