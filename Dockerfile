# syntax=docker/dockerfile:1
#
# okta-gateway container images. One build, two final targets:
#
#   docker build -t okta-gateway .                   # the gateway (default: the last stage)
#   docker build --target okta-sim -t okta-sim .     # the Okta simulator, for demos only
#
# Each runtime stage copies exactly one binary, so the gateway image never contains the
# simulator. No secrets are baked in: keys, tokens and DATABASE_URL come from the environment
# at run time (see docker-compose.yml and .env.example).

# --- Build -----------------------------------------------------------------------------------
# The builder runs Debian 12 like the runtime images, so the binaries link against the same
# glibc.
FROM rust:1.95.0-slim-bookworm AS chef
RUN cargo install --locked cargo-chef@0.1.78
WORKDIR /src

# The dependency recipe changes only when a Cargo.toml or Cargo.lock does.
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path /src/recipe.json

# Dependencies of every workspace member, compiled into their own cached layer; source edits
# rebuild only the workspace's crates.
FROM chef AS builder
COPY --from=planner /src/recipe.json /src/recipe.json
RUN cargo chef cook --release --locked --workspace --recipe-path /src/recipe.json
COPY . .

# One build stage per binary: building one target never compiles the other.
FROM builder AS gateway-build
# The embedded-SQLite default writes to ./data; the runtime image has no shell to create it.
RUN cargo build --release --locked --bin okta-gateway \
    && mkdir -p /out/data

FROM builder AS okta-sim-build
RUN cargo build --release --locked --package okta-sim --bin okta-sim

# --- Runtime ---------------------------------------------------------------------------------
# distroless/cc (Debian 12): glibc, libgcc and the CA certificates that rustls' platform
# verifier needs to reach Okta over TLS; no shell, no package manager. The `nonroot` variant
# runs as uid/gid 65532. Distroless publishes no version tags: pin the digest
# (`...:nonroot@sha256:...`) in your own registry mirror for byte-for-byte rebuilds.

# Okta simulator (demo only). It needs a port and a token (--token or OKTA_SIM_TOKEN), e.g.
#   docker run --rm -p 7070:7070 -e OKTA_SIM_TOKEN=<T> okta-sim --host 0.0.0.0 --port 7070
FROM gcr.io/distroless/cc-debian12:nonroot AS okta-sim
COPY --from=okta-sim-build /src/target/release/okta-sim /usr/local/bin/okta-sim
USER 65532:65532
EXPOSE 7070
ENTRYPOINT ["/usr/local/bin/okta-sim"]

# The gateway: the default target, so it must stay the last stage.
FROM gcr.io/distroless/cc-debian12:nonroot AS gateway
WORKDIR /app
COPY --from=gateway-build --chown=65532:65532 /out/data /app/data
COPY --from=gateway-build /src/target/release/okta-gateway /usr/local/bin/okta-gateway
USER 65532:65532
# Inside a container the service must listen beyond loopback; everything else, including every
# secret, is configured at run time.
ENV BIND_ADDR=0.0.0.0:8080
EXPOSE 8080
# `okta-gateway healthcheck` exits 0 iff /readyz answers 200 (it asks 127.0.0.1 when bound to
# 0.0.0.0), so the image needs no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/okta-gateway", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/okta-gateway"]
CMD ["serve"]
