# A Python 3.11 base made from Debian's packages, for machines that cannot pull python:3.11-slim.
# Built by `make test-containers` when no image registry answers:
#   podman build -f deploy/bases/python.Dockerfile --build-arg DEBIAN_IMAGE=... CONTEXT
# CONTEXT holds this file's neighbours and ca/, the machine's locally added CA certificates
# (empty on most machines; where the package index is reached through a TLS proxy, its CA).
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
COPY ca/ /usr/local/share/ca-certificates/
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates python3 python3-pip python3-venv python-is-python3; \
    update-ca-certificates; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb; \
    # Images install their own packages with pip, as on python:3.11-slim.
    rm -f /usr/lib/python3*/EXTERNALLY-MANAGED; \
    ln -sf /usr/bin/pip3 /usr/local/bin/pip
ENV LANG=C.UTF-8
CMD ["python3"]
