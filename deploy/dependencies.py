"""The third-party requirements of the given projects, for deploy/Dockerfile's `deps` stage.

    python dependencies.py OUT_DIR PYPROJECT...

writes OUT_DIR/runtime.txt (every project's [project].dependencies) and OUT_DIR/build.txt (their
[build-system].requires), each sorted, without the projects themselves (svclib is one of them): the
image builds those from the tree. Reads only pyproject.toml files, so the stage that runs it (and the
wheels it builds) is rebuilt when a dependency changes, not when code does. Standard library only:
it runs on the bare base image."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return canonical(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1))


def requirements(pyprojects: list[Path]) -> tuple[list[str], list[str]]:
    documents = [tomllib.loads(path.read_text()) for path in pyprojects]
    ours = {canonical(document["project"]["name"]) for document in documents}
    runtime = {r for d in documents for r in d["project"].get("dependencies", []) if requirement_name(r) not in ours}
    build = {r for d in documents for r in d.get("build-system", {}).get("requires", [])}
    return sorted(runtime), sorted(build)


def main(arguments: list[str]) -> None:
    out, *pyprojects = arguments
    runtime, build = requirements([Path(p) for p in pyprojects])
    Path(out, "runtime.txt").write_text("".join(f"{line}\n" for line in runtime))
    Path(out, "build.txt").write_text("".join(f"{line}\n" for line in build))


if __name__ == "__main__":
    main(sys.argv[1:])
