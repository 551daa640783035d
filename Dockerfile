# Production image: gunicorn in front of the app; PostgreSQL comes from DATABASE_URL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SEGMENTS_ENV=production \
    WEB_CONCURRENCY=2

WORKDIR /app
COPY pyproject.toml constraints.txt README.md wsgi.py gunicorn.conf.py ./
COPY segments_app ./segments_app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
RUN pip install -c constraints.txt -e . \
    && useradd --create-home --uid 10001 segments \
    && mkdir -p /app/instance \
    && chown segments:segments /app/instance

USER segments
EXPOSE 8000

# Migrate, then serve; WEB_CONCURRENCY sets the number of gunicorn workers.
CMD ["sh", "-c", "flask --app wsgi db upgrade && exec gunicorn --bind 0.0.0.0:8000 --workers \"$WEB_CONCURRENCY\" --access-logfile - wsgi:app"]
