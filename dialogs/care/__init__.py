"""People, not queries: a complaint or thanks about staff, anger or despair, «I cannot come in», and what has no
card here (care.yaml topics). A room of its own (dialogs/rooms.py): the person's buttons are lent by the handoff
and booking rooms (dialogs/events.py), never imported."""
