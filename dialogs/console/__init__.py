"""The staff console's decisions: who may do what (rules), signing in and out (accounts), and the offices'
status (offices). Handlers (handlers/web/staff.py) and the staff commands (bot/staff/users.py) only translate."""
