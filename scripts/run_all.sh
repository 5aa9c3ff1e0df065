#!/usr/bin/env bash
# Runs the web app, a Celery worker and beat together; Ctrl-C (or any one dying) stops all three.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
bin=.venv/bin
mkdir -p var/celery/queue var/celery/processed
trap 'kill 0' EXIT INT TERM
$bin/celery -A config worker --loglevel=INFO --concurrency=2 &
$bin/celery -A config beat --loglevel=INFO &
$bin/python manage.py runserver "$host:$port" --noreload &
wait -n
