"""The partner REST API (Django REST Framework), mounted at /api/v1/. See docs/api.md."""
