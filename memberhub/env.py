"""Typed environment helpers: a bad value is an error at start-up, never a silent default."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use one of 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None


def env_networks(name: str, default: list[str]) -> list:
    """Comma-separated IP addresses or networks ("10.0.0.0/8,192.168.1.7") as ip_network objects."""
    import ipaddress

    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or network") from None
    return networks


def env_file_load(path: str | None) -> list[str]:
    """Read KEY=VALUE lines from a dotenv file into os.environ, without overriding variables that
    are already set (the real environment wins). Blank lines and # comments are skipped; a value
    may be wrapped in single or double quotes. A missing file or an empty path is no error (the
    file is optional); a line that is not KEY=VALUE is. Returns the names it set.

    `make demo` writes .env with the database and Redis it used, so that manage.py, the worker and
    the tests' settings find the same ones when run by hand (memberhub/settings.py loads it first).
    """
    if not path or not os.path.isfile(path):
        return []
    loaded = []
    with open(path, encoding="utf-8") as lines:
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("export "):
                line = line[len("export "):].lstrip()
            key, sep, value = line.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key.replace("_", "").isalnum():
                raise ImproperlyConfigured(f"{path}, line {number}: expected KEY=VALUE, got {raw.strip()!r}")
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            if key not in os.environ:
                os.environ[key] = value
                loaded.append(key)
    return loaded
