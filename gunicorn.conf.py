"""gunicorn's settings for Segments (gunicorn reads ./gunicorn.conf.py when it starts)."""

from segments_app.services.imports import keep_recovering


def post_worker_init(worker) -> None:
    """Each worker looks for interrupted imports from its start: one whose worker was killed
    is failed within IMPORT_STALE_SECONDS even if no other worker has run an import yet."""
    keep_recovering(worker.wsgi)
