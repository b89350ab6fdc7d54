"""Air-raid alerts: what the source says (rules.py, pure) and what the Center does about one."""
