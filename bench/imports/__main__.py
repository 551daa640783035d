"""Entry point: `.venv/bin/python -m bench.imports --help`."""

from .runner import main

raise SystemExit(main())
