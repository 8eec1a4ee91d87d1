#!/bin/sh
# Writes the broker's settings from the environment, then starts it.
set -eu
{
  echo "listeners.tcp.default = 5672"
  echo "management.tcp.port = 15672"
  echo "loopback_users = none"
  echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
  echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
} > "$RABBITMQ_CONFIG_FILE"
chmod 600 "$RABBITMQ_CONFIG_FILE"
ulimit -n 20000 2>/dev/null || true
exec "$@"
