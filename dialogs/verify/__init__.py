"""The verify room: a citizen proves a phone number is theirs (Telegram's own contact, Viber's shared phone, or a
one-time code by SMS on the web) before an office booking, a callback or a home visit (storage/people.py)."""
