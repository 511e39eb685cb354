# syntax=docker/dockerfile:1
# xdpjit daemon image. Two stages: `build` compiles the TypeScript with the dev dependencies; the runtime
# stage has production dependencies only, the compiled dist/, and the bundled programs, captures and config.
#
#   docker build -t xdpjit .
#   docker run --rm -p 9800:9800 -e XDPJIT_TOKEN=change-me xdpjit --config config/default.json
#
# The image listens on 0.0.0.0:9800, which design.md §6 allows only with a token: without XDPJIT_TOKEN (or
# --token) the daemon refuses to start and says so. /healthz, /metrics, /openapi.json and /docs stay open.
#
# Base: Node 24 LTS (Node 20 left support in April 2026). Keep this tag and scripts/test-on-image-node.sh in
# step: that script runs the test suite on exactly this Node version.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run tsc before the sources are here; it runs explicitly below.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY jit ./jit
# Only src/ and jit/ are in the context tree here, so tsc builds dist/src and dist/jit (tests and benches are
# not part of the image).
RUN npx tsc -p tsconfig.json

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/jit ./dist/jit
COPY bin ./bin
COPY config ./config
COPY programs ./programs
COPY pcaps ./pcaps
# The state dir (programs, interfaces, attachments and map snapshots, design.md §6) must be writable by the
# unprivileged user; uid 1000 is the base image's `node` user. A numeric USER lets Kubernetes check
# runAsNonRoot without reading /etc/passwd.
RUN mkdir -p /var/lib/xdpjit && chown 1000:1000 /var/lib/xdpjit
USER 1000:1000

ENV XDPJIT_LISTEN=0.0.0.0:9800 \
    XDPJIT_STATE_DIR=/var/lib/xdpjit \
    XDPJIT_PROGRAMS_DIR=/app/programs \
    XDPJIT_PCAPS_DIR=/app/pcaps
VOLUME ["/var/lib/xdpjit"]
# 9800/tcp: REST API, /metrics, /healthz. 4789/udp: the IANA VXLAN port, for `vxlan` interfaces (RFC 7348).
EXPOSE 9800/tcp 4789/udp

# No curl in the slim image: Node's own fetch asks /healthz on the port XDPJIT_LISTEN names.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const p=(process.env.XDPJIT_LISTEN||'').split(':').pop()||'9800';fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["node", "bin/xdpjit.js", "serve"]
