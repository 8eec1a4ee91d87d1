# Prometheus from Debian's packages, standing in for prom/prometheus where no image registry
# answers. Takes the same command line (--config.file, --storage.tsdb.path) as the official image.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus wget; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb; \
    mkdir -p /prometheus; \
    chown prometheus:prometheus /prometheus
USER prometheus
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
