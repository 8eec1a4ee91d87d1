"""Where stored files live: bytes kept under a name, in a local directory by default.

The interface is small (store, open, delete) so that an object store can take
the local directory's place. The storage knows nothing of what it keeps: the
service that stores a file chooses its name and decides what it may hold;
readers ask by name through the same interface and never by path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

from svclib import settings

# A name is one path segment: no separators, no leading dot, so no way out of the root.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class Storage(Protocol):
    def store(self, name: str, data: bytes) -> None: ...

    def open(self, name: str) -> bytes | None: ...

    def delete(self, name: str) -> None: ...


class LocalStorage:
    """Files in a directory, spread over subdirectories by the first two characters of their names."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not _NAME.match(name) or ".." in name:
            raise ValueError("not a stored file name")
        return self.root / name[:2] / name

    def store(self, name: str, data: bytes) -> None:
        """Keep ``data`` under ``name``, replacing what was there; readers see the old or the new bytes, whole."""
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def open(self, name: str) -> bytes | None:
        """The bytes kept under ``name``; None if there are none (or the name could not be one)."""
        try:
            return self._path(name).read_bytes()
        except (ValueError, FileNotFoundError):
            return None

    def delete(self, name: str) -> None:
        """Forget ``name``; nothing happens if nothing was kept under it."""
        try:
            self._path(name).unlink()
        except (ValueError, FileNotFoundError):
            pass


def default_storage() -> Storage:
    return LocalStorage(settings.env("UPLOAD_DIR", str(settings.data_dir() / "uploads")))
