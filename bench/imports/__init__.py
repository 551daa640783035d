"""Member-import benchmark: `.venv/bin/python -m bench.imports --help`."""
