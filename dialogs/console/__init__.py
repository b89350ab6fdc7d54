"""The staff console's decisions: who may do what and what a change of an office may say (rules), signing in and
out (accounts). The offices' changes are the booking room's (dialogs/booking/offices.py). Handlers
(handlers/web/staff.py) and the staff commands (bot/staff/users.py) only translate."""
