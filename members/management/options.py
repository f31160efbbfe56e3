"""Argument types the management commands share."""

from datetime import date

from django.core.management.base import CommandError


def as_of_date(value: str) -> date:
    """argparse type of --as-of: a YYYY-MM-DD date, or a CommandError that says how to write it."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of {value!r} is not a date; write it as YYYY-MM-DD.") from exc
