"""Storefront benchmark: the reads a shop makes, over a million customer assignments.

Run from the project root:

    .venv/bin/python -m bench.storefront [--database sqlite|postgres|both] [--requests 200]
        [--scale 1.0] [--import-rows 1000000] [--no-plans] [--json FILE]

Per database it seeds tenant `benchshop` set-based (COPY on PostgreSQL, executemany in one
transaction on SQLite): 1,000,000 customer assignments over 200 segments, 20,000 categories six
levels deep, 200,000 products and 50,000 item assignments. It then times, one request at a time
through gunicorn (2 sync workers on 127.0.0.1), p50 and p99 of GET /segments, GET
/segments/items and the category trees as a signed-in customer, a /match of 500 products
against 10 segments and page 1,000 of the biggest segment's customers; prints the plan of
every SELECT those requests send, flagging whole-table scans of the assignment and product
tables; and times `flask directory import` of 1,000,000 customers (rows/s, peak memory).
See bench/README.md for how to read the figures.
"""
