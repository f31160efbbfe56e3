"""The merchandiser web app: server-rendered pages with HTMX partials (see members/views/urls.py)."""
