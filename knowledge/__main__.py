"""`python -m knowledge check` and `python -m knowledge search` (see knowledge/cli.py)."""

from knowledge.cli import main

raise SystemExit(main())
