"""Typed keys of the application's shared state, for the server, the channels and the staff
routes."""

from __future__ import annotations

from aiohttp import web

from bot.config import Config
from bot.conversation.runner import Runner
from bot.web.metrics import Metrics
from bot.web.throttle import NewConversations

CONFIG = web.AppKey("config", Config)
RUNNER = web.AppKey("runner", Runner)
METRICS = web.AppKey("metrics", Metrics)
THROTTLE = web.AppKey("throttle", NewConversations)
