# syntax=docker/dockerfile:1
# Runnel's container image: a release build on Rust's image, run on Debian slim as a non-root
# user, with the example dashboards. See README "Deploying" and deploy/compose.yaml.

# --- build ----------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# Dependencies first, in a layer of their own: it is rebuilt only when Cargo.toml or Cargo.lock
# change, not at every edit of the sources. The binary, the library and every bench get a stub.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && for bench in $(awk '/^\[\[bench\]\]/ { getline; if ($1 == "name") { gsub(/"/, "", $3); print $3 } }' Cargo.toml); do \
        echo 'fn main() {}' > "benches/$bench.rs"; \
    done \
    && cargo build --release --locked --bin runnel \
    && rm -rf src benches

COPY src src
COPY benches benches
COPY templates templates
COPY static static
COPY scripts scripts
# The stubs' build is older than the sources: make sure the real crate is built.
RUN touch src/lib.rs src/main.rs \
    && cargo build --release --locked --bin runnel \
    && strip --strip-debug target/release/runnel

# --- run ------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# curl for the health check, CA certificates for the HTTPS calls that scripts may make.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/runnel --shell /usr/sbin/nologin runnel \
    && mkdir -p /var/lib/runnel \
    && chown runnel:runnel /var/lib/runnel

COPY --from=builder /build/target/release/runnel /usr/local/bin/runnel
WORKDIR /app
COPY scripts scripts
COPY data data
# The examples' settings: the SQL connection of scripts/08_shop.rhai (data/shop.sqlite, read-only).
COPY runnel.toml runnel.toml
# The demo accounts of the example login page, in the writable state folder (registration and
# password changes write the file; its revocation record goes beside it). Mount your own.
COPY --chown=runnel:runnel credentials.yaml /var/lib/runnel/credentials.yaml

ENV RUNNEL_BIND=0.0.0.0 \
    RUNNEL_PORT=8501 \
    RUNNEL_NO_WATCH=true \
    RUNNEL_LOG_FORMAT=json \
    RUNNEL_CREDENTIALS=/var/lib/runnel/credentials.yaml \
    RUNNEL_BASE_PATH=

USER runnel
EXPOSE 8501
VOLUME ["/var/lib/runnel"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${RUNNEL_PORT}${RUNNEL_BASE_PATH}/healthz" || exit 1
STOPSIGNAL SIGTERM
CMD ["runnel", "run", "/app/scripts"]
