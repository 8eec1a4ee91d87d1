"""The site's own static files, each served under a name carrying a hash of its content, so
a browser keeps it for a year and a new version is a new name. No build step: the hashes
are computed when the app starts."""

from __future__ import annotations

import hashlib
import mimetypes
import os
from collections.abc import Callable

from flask import Response, abort, url_for


class Assets:
    def __init__(self, root: str, build: Callable[..., str] = url_for):
        self.root = root
        self.build = build  # url_for, or the app's kept one
        self.hashed: dict[str, str] = {}  # "css/site.css" -> "css/site.1a2b3c4d5e6f.css"
        self.files: dict[str, str] = {}  # hashed name -> path on disk
        for directory, _, names in os.walk(root):
            for name in names:
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, root).replace(os.sep, "/")
                with open(path, "rb") as file:
                    digest = hashlib.sha256(file.read()).hexdigest()[:12]
                stem, dot, ext = relative.rpartition(".")
                hashed = f"{stem}.{digest}.{ext}" if dot else f"{relative}.{digest}"
                self.hashed[relative] = hashed
                self.files[hashed] = path

    def url(self, name: str) -> str:
        return self.build("static_asset", name=self.hashed[name])

    def send(self, hashed: str) -> Response:
        path = self.files.get(hashed)
        if path is None:
            abort(404)
        with open(path, "rb") as file:
            data = file.read()
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if mimetype.startswith("text/") or mimetype in ("application/javascript", "image/svg+xml"):
            mimetype += "; charset=utf-8"
        response = Response(data, content_type=mimetype)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
