"""API throughput benchmark: gunicorn + wrk against a freshly seeded SQLite or PostgreSQL database.

Run from the project root:

    .venv/bin/python -m bench.api_throughput [--database sqlite|postgres|both] [--seconds 10]
        [--connections 16] [--segments 10000]

See bench/README.md for what it measures and how to read the figures.
"""
