"""Booking: office appointments and hotline callbacks.

`calendar` and `rules` are pure (no database, no clock: `now` is an argument); storage lives in
`storage/booking.py`, the conversation in `service` and `flow`.
"""
