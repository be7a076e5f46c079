# syntax=docker/dockerfile:1
# Bourse: build on Debian 12 with its own packages, run on a slim Debian 12 image with
# only the shared libraries the executable links. Not run in CI (no Docker there): the
# supported local setup is scripts/stack + scripts/run. See docker-compose.yml.

# ---- build --------------------------------------------------------------------------
FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      librdkafka-dev libsoci-dev default-libmysqlclient-dev libfmt-dev \
      libcli11-dev libtomlplusplus-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DBOURSE_BUILD_TESTS=OFF -DBOURSE_BUILD_BENCHMARKS=OFF \
 && ninja -C build bourse \
 && strip --strip-unneeded build/src/bourse

# ---- runtime ------------------------------------------------------------------------
FROM debian:12 AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# Runtime counterparts of the -dev packages above (Debian 12 names). libtomlplusplus3:
# Debian builds toml++ as a shared library (TOML_HEADER_ONLY=0).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libboost-url1.81.0 \
      librdkafka++1 libsoci-core4.0 libsoci-mysql4.0 libmariadb3 \
      libfmt9 libtomlplusplus3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 bourse \
 && useradd --system --uid 10001 --gid bourse --home-dir /opt/bourse \
      --shell /usr/sbin/nologin bourse

COPY --from=build /src/build/src/bourse /opt/bourse/bin/bourse
COPY migrations/ /opt/bourse/migrations/
COPY config/ /opt/bourse/config/

# config/bourse.toml names the migrations folder relatively: run from /opt/bourse and
# also say it absolutely. Everything else comes from the environment (BOURSE_DB_*,
# BOURSE_KAFKA_BROKERS, ...): see docker-compose.yml.
WORKDIR /opt/bourse
ENV BOURSE_HTTP_HOST=0.0.0.0 \
    BOURSE_HTTP_PORT=8080 \
    BOURSE_MIGRATIONS_DIR=/opt/bourse/migrations
USER bourse:bourse
EXPOSE 8080
ENTRYPOINT ["/opt/bourse/bin/bourse"]
CMD ["serve", "--config", "/opt/bourse/config/bourse.toml"]
