#!/usr/bin/env bash
# Runs the web app, a Celery worker and beat together; the demo sign-ins come last, once the web answers.
# The worker is started without -Q, so it consumes every queue (CELERY_TASK_QUEUES in config/settings.py).
# Ctrl-C (or any one of the three dying) stops all three: each is sent SIGTERM once and waited for
# (the worker finishes the task in hand), with no traceback.
set -uo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
bin=.venv/bin
logs=var/log
mkdir -p var/celery/queue var/celery/processed "$logs"

pids=()
sign_ins=
stop() {
  local code=${1:-0} all=("${pids[@]}")
  trap - INT TERM EXIT
  trap '' PIPE  # a closed terminal or pipe must not stop this script before the others are stopped
  [ -n "$sign_ins" ] && all+=("$sign_ins")
  if ((${#all[@]})); then
    kill -TERM "${all[@]}" 2>/dev/null
    echo
    echo "Stopping web, worker and beat..."
    wait "${all[@]}" 2>/dev/null
  fi
  exit "$code"
}
trap 'stop 0' INT TERM
trap 'stop 1' EXIT

# Each in a process group of its own (job control), so that the terminal's Ctrl-C reaches this script
# alone and each process is stopped once, in order, instead of the worker's pool being killed under it.
# The web first (migrate has run the system checks) and, beside it, the sign-ins, printed as soon as the
# web answers; the worker and beat after that: they would only slow the first page.
url="http://$host:$port/"
set -m
$bin/python manage.py runserver "$host:$port" --noreload --skip-checks &
web=$!
pids+=("$web")
$bin/python manage.py demo_sign_ins --wait-for "$url" --logs "$logs" &
sign_ins=$!
set +m
while kill -0 "$sign_ins" 2>/dev/null; do
  kill -0 "$web" 2>/dev/null || { echo "The web server did not start (see above)."; stop 1; }
  sleep 0.2
done
sign_ins=
set -m
$bin/celery -A config worker --loglevel=INFO --concurrency=2 >>"$logs/worker.log" 2>&1 &
pids+=($!)
$bin/celery -A config beat --loglevel=INFO >>"$logs/beat.log" 2>&1 &
pids+=($!)
set +m

wait -n "${pids[@]}"
echo "One of web, worker and beat has stopped (see $logs/ and above); stopping the others."
stop 1
