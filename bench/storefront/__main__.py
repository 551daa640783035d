"""Entry point: `.venv/bin/python -m bench.storefront --help`."""

from .runner import main

raise SystemExit(main())
