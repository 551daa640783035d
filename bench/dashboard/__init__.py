"""Dashboard benchmark: server time of every marketer page, fragment and htmx write.

Run from the project root:

    .venv/bin/python -m bench.dashboard [--database sqlite|postgres|both] [--members 1000000]
        [--segments 1000] [--runs 15] [--only TEXT] [--json FILE]

Per database it seeds tenant `benchco` set-based: a segment of 1,000,000 members among 1,000
segments, 1,050,000 customers, 20,000 categories six levels deep and 200,000 products; signs a
marketer in with Flask's test client and times each page and fragment in-process, median and
p95, against the bound of 100 ms. See bench/README.md for how to read the figures.
"""
