"""The Telegram channel (aiogram 3): routers, rendering, the outgoing sender, the update middleware."""
