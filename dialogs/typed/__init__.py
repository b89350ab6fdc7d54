"""Typed answers read as a step's buttons would be: yes/no, dates, times, phone numbers, small counts and a
choice among labelled options, a module each; this package gives them all under one name (`typed.read_date`).

Pure: no storage, no clock. `today` is a Kyiv local date and `now` an aware moment, both passed in; a date
is a Kyiv local date (`kyiv_today`). Citizens write Ukrainian, Russian and surzhyk, with typos and no
punctuation: «завтра на 10», «в четверг после обеда», «о пів на третю», «067 123-45-67», «двоє».
"""

from dialogs.typed.choice import choose, choose_label
from dialogs.typed.counts import MAX_COUNT, read_count
from dialogs.typed.dates import find_date, read_date
from dialogs.typed.mine import asks_mine
from dialogs.typed.phones import MOBILE_CODES, masked_phone, read_phone
from dialogs.typed.text import KYIV, Found, kyiv_moment, kyiv_today, norm, tokens
from dialogs.typed.times import CLOSES, OPENS, TimeAsked, find_time, read_time, read_when
from dialogs.typed.yesno import is_unknown, yes_no

__all__ = [
    "CLOSES",
    "KYIV",
    "MAX_COUNT",
    "MOBILE_CODES",
    "OPENS",
    "Found",
    "TimeAsked",
    "asks_mine",
    "choose",
    "choose_label",
    "find_date",
    "find_time",
    "is_unknown",
    "kyiv_moment",
    "kyiv_today",
    "masked_phone",
    "norm",
    "read_count",
    "read_date",
    "read_phone",
    "read_time",
    "read_when",
    "tokens",
    "yes_no",
]
