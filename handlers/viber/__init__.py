"""The Viber channel (viberbot models, signed webhooks, an async sender with timeouts and retries)."""
