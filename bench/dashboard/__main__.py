"""Entry point: `.venv/bin/python -m bench.dashboard --help`."""

from .runner import main

raise SystemExit(main())
