"""Viber without Viber: a fake REST API on loopback and a citizen posting signed callbacks."""
