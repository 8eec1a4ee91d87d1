# RabbitMQ with its management plugin from Debian's packages, standing in for
# rabbitmq:3.13-management where no image registry answers. Takes the official image's
# RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb; \
    rabbitmq-plugins --offline enable rabbitmq_management; \
    chown -R rabbitmq:rabbitmq /etc/rabbitmq /var/lib/rabbitmq
COPY --chmod=0755 rabbitmq-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV HOME=/var/lib/rabbitmq RABBITMQ_CONFIG_FILE=/var/lib/rabbitmq/rabbitmq.conf RABBITMQ_LOGS=-
USER rabbitmq
EXPOSE 5672 15672
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["rabbitmq-server"]
