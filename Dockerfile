# bitshares-stress: beacon (load generator), overseer (controller) and devnode
# (local simulated node) in one image. The entry point is the beacon; run the
# others with --entrypoint overseer / --entrypoint devnode.
#
#   docker build --network host --pull=false -t bitshares-stress:0.1.0 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
#
# Only the classic builder's features are used (no `# syntax` line: that would
# make BuildKit pull a frontend image, and these machines reach no registry).
# FROM resolves locally: scripts/docker-base.sh builds debian:bookworm-slim.
# Keys and configuration are never in the image: mount them (docs/DEPLOY.md).

ARG BASE=debian:bookworm-slim

FROM ${BASE} AS build
# Marks the build stage's images (build cache) so that stale ones can be
# pruned: docker image prune --filter label=org.bitshares-stress.stage=build
LABEL org.bitshares-stress.stage="build"
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gcc libc6-dev pkg-config meson ninja-build \
      libsecp256k1-dev libssl-dev libwebsockets-dev libmsgpack-dev libzmq3-dev \
      libjansson-dev libfyaml-dev libmicrohttpd-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Programs only: no tests (cmocka is not installed here), benchmarks or fuzz
# targets. `meson install` stages the programs the tree installs (beacon,
# overseer, devnode), stripped, under /stage; each one is checked there, so
# that an image without one of them cannot be built.
RUN meson setup --buildtype=release --prefix=/usr/local \
      -Dtests=disabled -Dbenchmarks=disabled -Dfuzz=disabled /build \
 && ninja -C /build \
 && meson install -C /build --destdir /stage --strip --quiet \
 && install -d /stage/usr/local/share/bitshares-stress/scenarios \
 && if [ -d scenarios ]; then cp -r scenarios/. /stage/usr/local/share/bitshares-stress/scenarios/; fi \
 && cp devnode/genesis.json /stage/usr/local/share/bitshares-stress/ \
 && ls -l /stage/usr/local/bin \
 && test -x /stage/usr/local/bin/beacon && test -x /stage/usr/local/bin/overseer \
 && test -x /stage/usr/local/bin/devnode

FROM ${BASE}
ARG VERSION=unknown
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="bitshares-stress" \
      org.opencontainers.image.description="Load generator (beacon), controller (overseer) and local node (devnode) that find the transaction limit of BitShares/Graphene networks" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
ENV DEBIAN_FRONTEND=noninteractive
# Runtime libraries only. ca-certificates: the beacon verifies wss:// node
# certificates against the system store.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libsecp256k1-1 libssl3 libwebsockets17 libmsgpackc2 libzmq5 libjansson4 libfyaml0 \
      libmicrohttpd12 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
# beacon, overseer, devnode: every program `meson install` staged.
COPY --from=build /stage/usr/local/ /usr/local/
# Fail the build, not the first run, when a program misses a library.
RUN for p in /usr/local/bin/*; do \
      if LD_TRACE_LOADED_OBJECTS=1 "$p" | grep 'not found'; then echo "$p: missing library" >&2; exit 1; fi; \
    done \
 && beacon version && overseer version && devnode --version
# Non-root. /data is the working directory: keys are mounted at /data/keys
# (the files keep their own modes; the directory is traversable so that a
# container run with --user can reach single mounted files), output goes to
# /data/out.
RUN useradd --no-log-init --uid 10001 --user-group --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin bss \
 && install -d -o bss -g bss -m 0755 /data /data/keys /data/out
USER 10001:10001
WORKDIR /data
# Checks that the program and every library it links still load (a
# container whose files were damaged or a base image update that broke a
# library turns unhealthy). Whether a running beacon is doing its job is
# the overseer's to say: it reports beacons whose heartbeats stop.
HEALTHCHECK --interval=60s --timeout=10s --start-period=5s --retries=3 \
  CMD ["beacon", "version"]
ENTRYPOINT ["beacon"]
