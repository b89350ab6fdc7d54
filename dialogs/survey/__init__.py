"""After a visit: the citizen's score (1–5) and an optional comment, asked the morning after staff marked the
visit arrived (rules.py: when; service.py: scheduling and sending through the reminders' dispatcher; flow.py: the
room that takes the answer)."""
