"""Composition root: settings, wiring, scheduler and the `python -m bot` entry point."""
