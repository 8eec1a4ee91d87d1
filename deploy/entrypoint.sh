#!/bin/sh
# serve: run this image's component; topology: declare every event queue, then exit;
# health: exit 0 when the component answers (for probes).
set -eu
SERVICES="identity communities content feed donations"
MODULES="identity.service communities.service content.service feed.service donations.service"

case "${1:-serve}" in
  topology)
    exec python -m svclib.topology $MODULES ;;
  health)
    if [ "$COMPONENT" = gateway ]; then
      exec python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"
    fi
    exec python -m svclib.healthcheck "$COMPONENT" ;;
  serve)
    if [ "$COMPONENT" = gateway ]; then
      cd /app/gateway
      exec gunicorn -c gunicorn.conf.py "gateway.app:create_app()"
    fi
    case " $SERVICES " in
      *" $COMPONENT "*) cd "/app/services/$COMPONENT"
                        exec python -m nameko run --config config.yml "$COMPONENT.service" ;;
    esac
    echo "unknown COMPONENT: $COMPONENT" >&2; exit 2 ;;
  *)
    exec "$@" ;;
esac
