"""Hotline operators take over a conversation: the citizen\x27s side (flow), the operators\x27 side (desk), rules, texts."""
