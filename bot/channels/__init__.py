"""The channels that carry conversations: Telegram and SMS, each joining the one aiohttp app."""
