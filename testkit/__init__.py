"""Shared rigs for tests and benchmarks: the emulator adapter, fake messenger APIs, throwaway PostgreSQL/Redis/nginx
servers, transcripts, race and load harnesses. tests/ and bench/ import it; it imports neither, and production
code (bot, dialogs, handlers, knowledge, storage) never imports it. Pytest fixtures stay in tests/' conftest
files."""
