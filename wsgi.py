import gc

from segments_app import create_app

app = create_app()

# Everything built so far (the app, SQLAlchemy's mappers, imported modules) lives as long as
# the process: move it out of the collector's sight, so that the full collections a large
# answer triggers (thousands of dicts for a category tree) do not walk it again and again
# (docs/benchmarks.md, History, has the figures).
gc.collect()
gc.freeze()
