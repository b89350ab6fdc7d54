"""The edges: translate messenger events to engine calls and back."""
