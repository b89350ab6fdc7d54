"""The local web chat: a page, a JSON API and a health check on the bot's HTTP server."""
