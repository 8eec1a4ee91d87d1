#!/bin/sh
# The image's entrypoint. COMPONENT is set at build time (see deploy/Dockerfile).
#   serve     (default) run this image's component; for the topology image: declare the queues
#   topology  declare every event consumer queue of every service, then exit (topology image)
#   health    exit 0 when the component answers: /healthz for the gateway, the health RPC otherwise
#             (the image's HEALTHCHECK)
#   anything else is run as is, e.g. `sh` or `alembic upgrade head`
set -eu

: "${COMPONENT:?COMPONENT is not set; build with --build-arg COMPONENT=...}"
APP_ROOT="${APP_ROOT:-/app}"   # where the image keeps the component's source folder
# Only gunicorn's workers (gateway, web) share their counts through PROMETHEUS_MULTIPROC_DIR, a
# folder its master makes at start. A service or the topology job is one process counting in
# memory: with the variable set, prometheus_client would count in files of a folder nobody made.
case "$COMPONENT" in
  gateway|web) ;;
  *) unset PROMETHEUS_MULTIPROC_DIR ;;
esac

topology() {
  exec python -m svclib.topology \
    identity.service communities.service content.service feed.service donations.service
}

case "${1:-serve}" in
  serve)
    case "$COMPONENT" in
      identity|communities|content|feed|donations)
        cd "$APP_ROOT/$COMPONENT"
        # Two processes (svclib.serve): the service's requests, and its background work (events,
        # timers) at a lower CPU priority, so that a burst of events never slows a sign-in.
        exec python -m svclib.serve --config config.yml "$COMPONENT.service" ;;
      gateway)
        cd "$APP_ROOT/gateway"
        # gunicorn's control socket defaults to $HOME, which the app user does not have.
        exec gunicorn -c gunicorn.conf.py --control-socket /tmp/gunicorn.ctl "gateway.app:create_app()" ;;
      web)
        cd "$APP_ROOT/web"
        exec gunicorn -c gunicorn.conf.py --control-socket /tmp/gunicorn.ctl "web.app:create_app()" ;;
      topology)
        topology ;;
      *)
        echo "entrypoint: unknown COMPONENT '$COMPONENT'" >&2
        exit 2 ;;
    esac ;;
  topology)
    topology ;;
  health)
    # The topology job runs once and serves nothing: healthy while it runs.
    if [ "$COMPONENT" = topology ]; then
      exit 0
    fi
    if [ "$COMPONENT" = gateway ]; then
      exec python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GATEWAY_PORT', '8000'), timeout=3)"
    fi
    if [ "$COMPONENT" = web ]; then
      exec python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEB_PORT', '8080'), timeout=3)"
    fi
    exec python -m svclib.healthcheck "$COMPONENT" ;;
  *)
    exec "$@" ;;
esac
