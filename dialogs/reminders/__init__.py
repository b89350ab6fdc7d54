"""Reminders: appointments, «ready by» dates, life-event deadlines and monthly duties.

`rules` is pure (no database, no clock: `now` and the calendar are arguments); reminders are stored as rows by
`storage/reminders.py` and sent by the dispatcher in `bot/reminders.py`; the conversation lives in `flow`.
"""
