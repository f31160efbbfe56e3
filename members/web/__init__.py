"""The merchandiser web app: server-rendered pages with HTMX partials (see members/web/urls.py)."""
