#!/usr/bin/env bash
# `make demo`: choose the database, migrate, load the demo shop, run the fast intelligence pass,
# create or refresh the admin login, start the worker and serve.
#   scripts/demo.sh [HOST] [PORT]          DEMO_LANG=zh for the Chinese shop (`make demo LANG=zh`)
# Services: DATABASE_URL / REDIS_URL from the environment, else from .env, else the local Postgres
# (its database `memberhub` is created when missing) and Redis when they answer, else an SQLite
# file with in-process tasks. The choice is written to .env so that manage.py run by hand later
# (create_api_key, import_csv ...) uses the same database.
# Safe to run again: the import is an upsert and the admin password is kept in .demo-admin-password.
# With a broker, a Celery worker runs beside the server and fine-tunes the review model in the
# background; Ctrl-C or TERM stops the server and the worker at once.
set -euo pipefail
HOST="${1:-127.0.0.1}"
PORT="${2:-8000}"
cd "$(dirname "$0")/.."
DEMO_STARTED=$SECONDS

if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
# The demo serves static files from runserver and shows tracebacks: development mode.
export DEBUG="${DEBUG:-1}"
# Serving on another address (0.0.0.0, a LAN name) needs that host allowed too.
if [ -z "${ALLOWED_HOSTS:-}" ]; then
  export ALLOWED_HOSTS="127.0.0.1,localhost,testserver,${HOST}"
fi

# Which shop: en (women's clothing, USD) or zh (Chinese food delivery, CNY, reviews from ../shared).
DEMO_LANG="${DEMO_LANG:-en}"
case "$DEMO_LANG" in
  en) DEMO_CURRENCY=USD; DEMO_LANGUAGE=en; DEMO_DB_NAME=memberhub; OTHER_DB_NAME=memberhub_zh ;;
  zh) DEMO_CURRENCY=CNY; DEMO_LANGUAGE=zh-hans; DEMO_DB_NAME=memberhub_zh; OTHER_DB_NAME=memberhub ;;
  *) echo "DEMO_LANG (make demo LANG=...) is '$DEMO_LANG': use en or zh." >&2; exit 2 ;;
esac

step() { printf '==> [%4d s] %s\n' "$((SECONDS - DEMO_STARTED))" "$*"; }

# ---- stopping: Ctrl-C or TERM stops whatever runs (a step, the worker, the server) at once -----
CHILD_PID=""
WORKER_PID=""
SERVER_PID=""
stop_all() {
  trap - EXIT INT TERM
  set +e
  # The worker has its own process group (setsid below): signal the group, its pool processes too.
  [ -n "$WORKER_PID" ] && kill -TERM -- "-$WORKER_PID" 2>/dev/null
  for pid in $CHILD_PID $SERVER_PID; do kill -TERM "$pid" 2>/dev/null; done
  # A worker in the middle of a fine-tune would finish it first (warm shutdown): give everything
  # 3 s, then stop it cold. The unfinished run is claimed again by a later worker (training_run_claim).
  for _ in 1 2 3 4 5 6; do
    alive=""
    for pid in $CHILD_PID $SERVER_PID $WORKER_PID; do kill -0 "$pid" 2>/dev/null && alive=yes; done
    [ -z "$alive" ] && break
    sleep 0.5
  done
  [ -n "$WORKER_PID" ] && kill -KILL -- "-$WORKER_PID" 2>/dev/null
  for pid in $CHILD_PID $SERVER_PID; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [ -n "$SERVER_PID$WORKER_PID" ]; then echo "==> Stopped the server${WORKER_PID:+ and the Celery worker}."; fi
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# A step runs in the background and is waited for: bash runs a trap during `wait` at once, but only
# after a foreground command ends (a TERM would otherwise wait for a whole refresh).
run() {
  "$@" &
  CHILD_PID=$!
  wait "$CHILD_PID"
  CHILD_PID=""
}

# ---- services: the environment, else .env, else what is running locally ----------------------
ENV_FILE=.env
env_file_value() {  # the value of KEY in .env (quotes removed), empty when absent
  [ -f "$ENV_FILE" ] || return 0
  sed -n "s/^[[:space:]]*\(export[[:space:]]\+\)\?$1[[:space:]]*=[[:space:]]*//p" "$ENV_FILE" | tail -n 1 |
    sed "s/^[\"']//; s/[\"']\$//"
}
env_file_remember() {  # append KEY=VALUE to .env unless .env already names KEY
  if ! grep -qE "^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=" "$ENV_FILE" 2>/dev/null; then
    [ -f "$ENV_FILE" ] || printf '# Written by `make demo`: the services it used, read by memberhub/settings.py\n# (variables set in the environment win). Edit or delete freely.\n' > "$ENV_FILE"
    printf '%s=%s\n' "$1" "$2" >> "$ENV_FILE"
  fi
}
env_file_set() {  # KEY=VALUE in .env, replacing the line that names KEY (the value must not hold '|')
  if grep -qE "^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=" "$ENV_FILE" 2>/dev/null; then
    sed -i -E "s|^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=.*|$1=$2|" "$ENV_FILE"
  else
    env_file_remember "$1" "$2"
  fi
}
DATABASE_FROM_ENV=no
if [ -n "${DATABASE_URL:-}" ]; then DATABASE_FROM_ENV=yes; fi
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL="$(env_file_value DATABASE_URL)"
  # Each shop has its own default database (memberhub, memberhub_zh): .env naming the other
  # shop's moves to this one's on the same server. A database you named yourself is kept.
  if [ "${DATABASE_URL##*/}" = "$OTHER_DB_NAME" ]; then DATABASE_URL="${DATABASE_URL%/*}/$DEMO_DB_NAME"; fi
  if [ -z "$DATABASE_URL" ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DEMO_DB_NAME"
  fi
fi
if [ -z "${REDIS_URL:-}" ] && [ -z "${CELERY_BROKER_URL:-}" ]; then
  REDIS_URL="$(env_file_value REDIS_URL)"
  if [ -z "$REDIS_URL" ] && [ -z "$(env_file_value CELERY_BROKER_URL)" ] &&
     (redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG); then
    REDIS_URL=redis://127.0.0.1:6379/0
  fi
fi
if [ -n "$DATABASE_URL" ]; then
  export DATABASE_URL
  if [ "$DATABASE_FROM_ENV" = yes ]; then env_file_remember DATABASE_URL "$DATABASE_URL"
  else env_file_set DATABASE_URL "$DATABASE_URL"; fi
fi
# The shop's prices are in its currency: pages show them with its symbol (memberhub/settings.py).
export SHOP_CURRENCY="$DEMO_CURRENCY"
env_file_set SHOP_CURRENCY "$DEMO_CURRENCY"
export LANGUAGE_CODE="$DEMO_LANGUAGE"
env_file_set LANGUAGE_CODE "$DEMO_LANGUAGE"
if [ -n "${REDIS_URL:-}" ]; then export REDIS_URL; env_file_remember REDIS_URL "$REDIS_URL"; fi

step "Database: ${DATABASE_URL:-SQLite file db.sqlite3}"
if [ -n "$DATABASE_URL" ]; then run "$PYTHON" scripts/demo_database.py "$DATABASE_URL"; fi
run "$PYTHON" manage.py migrate --noinput

if [ "$DEMO_LANG" = zh ]; then
  step "Loading the Chinese demo shop (4,300 members, 23,000 orders, 12,000 reviews from ../shared/datasets/waimai_10k)"
  run "$PYTHON" manage.py load_demo --lang zh
else
  step "Loading the demo shop (4,300 members, 23,000 orders, 18,800 reviews)"
  run "$PYTHON" manage.py load_demo
fi
step "The shop's past: tiers earned in past evaluations, label corrections, two measured campaigns"
run "$PYTHON" manage.py demo_history

eager="$(printf '%s' "${CELERY_TASK_ALWAYS_EAGER:-}" | tr '[:upper:]' '[:lower:]')"
BROKER=no
if { [ -n "${REDIS_URL:-}" ] || [ -n "${CELERY_BROKER_URL:-}" ]; } && [[ ! "$eager" =~ ^(1|true|yes|on)$ ]]; then
  BROKER=yes
fi

step "First pass: a review model that trains in seconds scores every review; then members, segments, tiers, churn, recommendations, campaigns"
run "$PYTHON" manage.py refresh_intelligence --fast

# One password per checkout, made on the first run and reused after (the file is gitignored).
PASSWORD_FILE=.demo-admin-password
if [ ! -s "$PASSWORD_FILE" ]; then
  (umask 077 && "$PYTHON" -c "import secrets; print(secrets.token_urlsafe(16))" > "$PASSWORD_FILE")
fi
DEMO_ADMIN_PASSWORD="$(head -n 1 "$PASSWORD_FILE")" run "$PYTHON" manage.py shell --no-imports -c "
import os
from django.contrib.auth import get_user_model
admin, _ = get_user_model().objects.get_or_create(username='admin', defaults={'email': 'admin@example.com'})
admin.is_staff = admin.is_superuser = admin.is_active = True
admin.set_password(os.environ['DEMO_ADMIN_PASSWORD'])
admin.save()
"

if [ "$BROKER" = yes ]; then
  step "Starting a Celery worker (queues default and gpu, log .demo-worker.log)"
  # Its own process group: Ctrl-C in the terminal reaches this script, which stops it (stop_all).
  setsid scripts/worker.sh -Q default,gpu --concurrency 2 > .demo-worker.log 2>&1 &
  WORKER_PID=$!
else
  echo "==> No Redis: tasks run inside the web server, and the review model stays the fast first model."
  echo "    For the background fine-tune (progress and loss live on the Models page), start Redis"
  echo "    (e.g. \`redis-server --daemonize yes\`) and run \`make demo\` again, or start a run on the Models page."
fi

step "Starting the web server on http://${HOST}:${PORT}/"
"$PYTHON" manage.py runserver "${HOST}:${PORT}" --noreload &
SERVER_PID=$!
for _ in $(seq 120); do
  if "$PYTHON" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
       "http://${HOST}:${PORT}/login/" 2>/dev/null; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "The web server stopped; see above." >&2; exit 1; }
  sleep 0.5
done
UP_AFTER=$((SECONDS - DEMO_STARTED))
ZH_NOTE=""
if [ "$DEMO_LANG" = zh ]; then
  ZH_NOTE="  The Chinese shop (prices in CNY, pages in Simplified Chinese: LANGUAGE_CODE=zh-hans in .env).
"
fi
if [ "$BROKER" = yes ]; then
  step "Queueing the background improvements for the worker"
  run "$PYTHON" manage.py demo_background_start
fi
cat <<EOF

MemberHub demo is up (serving after ${UP_AFTER} s):  http://${HOST}:${PORT}/
${ZH_NOTE}  Log in as: admin / $(head -n 1 "$PASSWORD_FILE")   (kept in ${PASSWORD_FILE})
  Operations admin: http://${HOST}:${PORT}/admin/    Partner API docs: http://${HOST}:${PORT}/api/docs/

Three things to try:
  1. Campaigns (http://${HOST}:${PORT}/campaigns/): the proposed campaigns with their rationale; open one,
     approve it, and see the holdout and the lift measured on campaigns that already ran.
  2. Tier changes (http://${HOST}:${PORT}/tier-changes/): why each member qualifies; approve a few at once.
  3. Models (http://${HOST}:${PORT}/models/): the first review model serving now, and the fine-tune
     training in the background with its loss live; it replaces the first one only if it scores better.

Ctrl-C stops the server${WORKER_PID:+ and the worker}.
EOF
wait "$SERVER_PID"
