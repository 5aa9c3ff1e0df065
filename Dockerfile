# The application image: web (gunicorn), worker and beat all run from it (docker-compose.yml).
# Reproducible: a pinned Python and Debian release, and every Python package at the version of
# requirements.lock (requirements.txt plus everything it pulls in; tests/config/test_docker.py keeps the
# two in step). For byte-for-byte pinning add the digest: FROM python:3.11.13-slim-bookworm@sha256:...
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# A system user without a login shell or home of its own; the code stays root's and read-only to it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app

COPY requirements.lock .
RUN pip install --no-deps -r requirements.lock

COPY . .
# Static files (the pages' and Swagger UI's) collected and compressed at build time, served by WhiteNoise.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && mkdir -p /app/var \
    && chown app:app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "-c", "config/gunicorn.py"]
