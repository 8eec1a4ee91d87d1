"""Exit 0 when a service answers its ``health`` RPC: for container probes.

python -m svclib.healthcheck identity [--timeout 3]
"""

from __future__ import annotations

import argparse
import sys

from nameko.standalone.rpc import ClusterRpcProxy

from svclib import settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("service")
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    try:
        with ClusterRpcProxy({"AMQP_URI": settings.amqp_uri()}, timeout=args.timeout) as rpc:
            answer = getattr(rpc, args.service).health()
    except Exception as exc:  # any failure means "not healthy"
        print(f"{args.service}: unhealthy ({type(exc).__name__})", file=sys.stderr)
        return 1
    print(f"{args.service}: {answer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
