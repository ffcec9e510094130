"""What the command groups share: where the worker's HTTP API is by default."""

from __future__ import annotations

from .. import settings

API_DEFAULT = f"http://{settings.HTTP_HOST}:{settings.HTTP_PORT}"
