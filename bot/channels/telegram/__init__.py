"""Telegram: python-telegram-bot as the transport, over the server's aiohttp session."""
