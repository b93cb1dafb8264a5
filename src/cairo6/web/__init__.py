"""The web application: server-rendered pages and a JSON API over the same services."""

from cairo6.web.app import create_app

__all__ = ["create_app"]
