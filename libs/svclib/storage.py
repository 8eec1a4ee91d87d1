"""Where uploaded files live: a local directory by default, behind a small interface
so that an object store can take its place. The content service writes; the
gateway reads and serves."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

from svclib import settings

_NAME = re.compile(r"^[a-f0-9]{32}\.(png|jpg|gif|webp)$")


class Storage(Protocol):
    def save(self, name: str, data: bytes) -> None: ...

    def read(self, name: str) -> bytes | None: ...


class LocalStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise ValueError("not a stored file name")
        return self.root / name[:2] / name

    def save(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def read(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except (ValueError, FileNotFoundError):
            return None


def default_storage() -> LocalStorage:
    return LocalStorage(settings.env("UPLOAD_DIR", str(settings.data_dir() / "uploads")))
