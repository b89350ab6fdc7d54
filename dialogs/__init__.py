"""Conversations: the dialog engine and its scenarios (data); channel-agnostic."""
