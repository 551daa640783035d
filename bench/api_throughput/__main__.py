"""Entry point: `.venv/bin/python -m bench.api_throughput --help`."""

from .runner import main

raise SystemExit(main())
