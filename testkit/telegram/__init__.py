"""Telegram through the telegram-test-api emulator: starting it, the adapter in front, a citizen, an operator."""
