"""Typed keys of the application's shared state, for the server and every channel."""

from __future__ import annotations

from aiohttp import web

from bot.config import Config
from bot.metrics import Metrics
from bot.runner import Runner

CONFIG = web.AppKey("config", Config)
RUNNER = web.AppKey("runner", Runner)
METRICS = web.AppKey("metrics", Metrics)
