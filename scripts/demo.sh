#!/usr/bin/env bash
# `make demo`: migrate, load the demo shop, train and score, create or refresh the admin login, and serve.
#   scripts/demo.sh [HOST] [PORT]
# Safe to run again: the import is an upsert and the admin password is kept in .demo-admin-password.
# With REDIS_URL or CELERY_BROKER_URL set, a Celery worker runs beside the server and stops with it.
set -euo pipefail
HOST="${1:-127.0.0.1}"
PORT="${2:-8000}"
cd "$(dirname "$0")/.."

if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
# The demo serves static files from runserver and shows tracebacks: development mode.
export DEBUG="${DEBUG:-1}"
# Serving on another address (0.0.0.0, a LAN name) needs that host allowed too.
if [ -z "${ALLOWED_HOSTS:-}" ]; then
  export ALLOWED_HOSTS="127.0.0.1,localhost,testserver,${HOST}"
fi

echo "==> Database: ${DATABASE_URL:-SQLite file db.sqlite3}"
"$PYTHON" manage.py migrate --noinput
echo "==> Loading the demo shop"
"$PYTHON" manage.py load_demo
echo "==> Training and scoring (the first run fine-tunes the review model: a few minutes on a CPU)"
"$PYTHON" manage.py refresh_intelligence

# One password per checkout, made on the first run and reused after (the file is gitignored).
PASSWORD_FILE=.demo-admin-password
if [ ! -s "$PASSWORD_FILE" ]; then
  (umask 077 && "$PYTHON" -c "import secrets; print(secrets.token_urlsafe(16))" > "$PASSWORD_FILE")
fi
DEMO_ADMIN_PASSWORD="$(head -n 1 "$PASSWORD_FILE")" "$PYTHON" manage.py shell --no-imports -c "
import os
from django.contrib.auth import get_user_model
admin, _ = get_user_model().objects.get_or_create(username='admin', defaults={'email': 'admin@example.com'})
admin.is_staff = admin.is_superuser = admin.is_active = True
admin.set_password(os.environ['DEMO_ADMIN_PASSWORD'])
admin.save()
"

WORKER_PID=""
stop_worker() {
  if [ -n "$WORKER_PID" ] && kill -0 "$WORKER_PID" 2>/dev/null; then
    echo "==> Stopping the Celery worker (pid $WORKER_PID)"
    kill -TERM "$WORKER_PID" 2>/dev/null || true
    # Warm shutdown lets a running task finish; don't hang the terminal for longer than 15 s.
    for _ in $(seq 15); do kill -0 "$WORKER_PID" 2>/dev/null || break; sleep 1; done
    kill -KILL "$WORKER_PID" 2>/dev/null || true
    wait "$WORKER_PID" 2>/dev/null || true
  fi
}
trap stop_worker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

eager="$(printf '%s' "${CELERY_TASK_ALWAYS_EAGER:-}" | tr '[:upper:]' '[:lower:]')"
if { [ -n "${REDIS_URL:-}" ] || [ -n "${CELERY_BROKER_URL:-}" ]; } && [[ ! "$eager" =~ ^(1|true|yes|on)$ ]]; then
  echo "==> Starting a Celery worker (queues default and gpu, log .demo-worker.log)"
  scripts/worker.sh -Q default,gpu --concurrency 2 > .demo-worker.log 2>&1 &
  WORKER_PID=$!
else
  echo "==> No broker configured: tasks run inside the web server"
fi

echo
echo "MemberHub demo: http://${HOST}:${PORT}/  (merchandiser app)   http://${HOST}:${PORT}/admin/  (operations)"
echo "Partner API docs: http://${HOST}:${PORT}/api/docs/"
echo "Log in as: admin / $(head -n 1 "$PASSWORD_FILE")   (kept in ${PASSWORD_FILE})"
echo
"$PYTHON" manage.py runserver "${HOST}:${PORT}" --noreload
