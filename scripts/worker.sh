#!/usr/bin/env bash
# Start a Celery worker the same way in Docker (docker-compose.yml) and outside it.
#   scripts/worker.sh                          # the default queue (imports, CPU work)
#   scripts/worker.sh -Q gpu --concurrency 1   # training and batch scoring, one task at a time
# Any other `celery worker` option passes through. Needs CELERY_BROKER_URL or REDIS_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x .venv/bin/celery ]; then CELERY=.venv/bin/celery; else CELERY=celery; fi

if [ -z "${CELERY_BROKER_URL:-}" ] && [ -z "${REDIS_URL:-}" ]; then
  echo "worker.sh: set REDIS_URL or CELERY_BROKER_URL; without a broker tasks run in-process and no worker is needed" >&2
  exit 2
fi

# The queue names the worker (default@host, gpu@host) so two workers on one host do not clash.
queue=""
named=no
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    -Q | --queues) queue="${args[$((i + 1))]:-}" ;;
    -Q* ) queue="${args[$i]#-Q}" ;;
    --queues=*) queue="${args[$i]#--queues=}" ;;
    -n | --hostname | --hostname=*) named=yes ;;
  esac
done
extra=()
if [ -z "$queue" ]; then
  queue=default
  extra+=(-Q default)
fi
if [ "$named" = no ]; then
  extra+=(-n "${queue//,/-}@%h")
fi

# Prefork children write their metrics into PROMETHEUS_MULTIPROC_DIR: start every worker empty.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  rm -rf "$PROMETHEUS_MULTIPROC_DIR"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

exec "$CELERY" -A memberhub worker --loglevel "${LOG_LEVEL:-INFO}" "${extra[@]}" "$@"
