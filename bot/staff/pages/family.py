"""stub"""

from aiohttp import web


def setup(app: web.Application) -> None:
    del app
