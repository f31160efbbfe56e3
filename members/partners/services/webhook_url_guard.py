"""Which webhook URLs we may POST to: never our own machine or private networks (SSRF).

A subscription URL is checked when it is saved and again before every delivery, after DNS
resolution, because a public-looking name can resolve to 127.0.0.1 or a cloud metadata address
(and can change what it resolves to after it was saved). The delivery then connects to the very
address that was checked (`pinned_connection`), so a second lookup cannot swap it for another.

On-premise partners on a private network are allowed explicitly, by address or network, with the
WEBHOOK_ALLOWED_NETWORKS setting (e.g. "10.20.0.0/16,192.168.5.7"); nothing is allowed by default.
No database access here.
"""

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Names that mean "this machine" or a cloud provider's internal services whatever DNS says.
_FORBIDDEN_NAMES = {"localhost", "metadata", "metadata.google.internal", "instance-data"}
_FORBIDDEN_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain")


class WebhookUrlRefused(ValueError):
    """The URL points somewhere we never send webhooks; the message says why, for people."""


@dataclass(frozen=True)
class WebhookTarget:
    """A checked URL: the host name as written (for Host and TLS) and the address to connect to."""

    scheme: str
    hostname: str
    port: int
    path: str
    address: str


def parse_allowed_networks(values: Iterable[str]) -> list[IpNetwork]:
    """The WEBHOOK_ALLOWED_NETWORKS entries as networks; raises ValueError naming a bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"WEBHOOK_ALLOWED_NETWORKS: {value!r} is not an IP address or network ({exc}).")
    return networks


def address_refusal(address: IpAddress, *, allowed: Iterable[IpNetwork] = ()) -> str:
    """Why we never send to `address` ("" when we may): loopback, private, link-local, reserved..."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(address in network for network in allowed):
        return ""
    for kind, flag in (
        ("a loopback address", address.is_loopback),
        ("an unspecified address", address.is_unspecified),
        ("a link-local address (cloud metadata lives there)", address.is_link_local),
        ("a private-network address", address.is_private),
        ("a multicast address", address.is_multicast),
        ("a reserved address", address.is_reserved),
        ("not a public address", not address.is_global),
    ):
        if flag:
            return f"{address} is {kind}"
    return ""


def _parse(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlRefused(f"Not a valid URL: {exc}.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlRefused("Use an http:// or https:// URL with a host name.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname.rstrip(".").lower(), port or (443 if parts.scheme == "https" else 80), path


def _literal_address(hostname: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(hostname.split("%", 1)[0])
    except ValueError:
        return None


def _resolve(hostname: str, port: int) -> list[IpAddress]:
    infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos))


def _check_name(hostname: str, addresses: list[IpAddress], allowed: list[IpNetwork]) -> None:
    """An internal-looking name passes only when it resolves, and only into the allow-list."""
    if hostname not in _FORBIDDEN_NAMES and not hostname.endswith(_FORBIDDEN_SUFFIXES):
        return
    if not addresses or not all(any(a in network for network in allowed) for a in addresses):
        raise WebhookUrlRefused(f"{hostname} is an internal host name; webhooks go to partners' public servers.")


def webhook_url_check(url: str, *, allowed: Iterable[IpNetwork] = ()) -> None:
    """Save-time check. Refuses internal names and addresses, and names that resolve to one.

    A name that does not resolve (yet) is accepted: the delivery checks it again after resolution.
    """
    allowed = list(allowed)
    _, hostname, port, _ = _parse(url)
    literal = _literal_address(hostname)
    if literal is None:
        try:
            addresses = _resolve(hostname, port)
        except (OSError, UnicodeError):
            addresses = []
        _check_name(hostname, addresses, allowed)
    else:
        addresses = [literal]
    for address in addresses:
        if reason := address_refusal(address, allowed=allowed):
            raise WebhookUrlRefused(f"Webhooks are never sent to internal addresses: {hostname} → {reason}.")


def webhook_target_resolve(url: str, *, allowed: Iterable[IpNetwork] = ()) -> WebhookTarget:
    """Delivery-time check: resolve the host and return the address to connect to.

    Every address the name resolves to must be allowed (not only the first), so a name with one
    public and one internal record is refused. Raises WebhookUrlRefused, or OSError when the
    name does not resolve.
    """
    allowed = list(allowed)
    scheme, hostname, port, path = _parse(url)
    literal = _literal_address(hostname)
    addresses = [literal] if literal is not None else _resolve(hostname, port)
    if not addresses:
        raise OSError(f"{hostname} has no address.")
    if literal is None:
        _check_name(hostname, addresses, allowed)
    for address in addresses:
        if reason := address_refusal(address, allowed=allowed):
            raise WebhookUrlRefused(f"Refused: {hostname} → {reason}; webhooks never go to internal addresses.")
    return WebhookTarget(scheme=scheme, hostname=hostname, port=port, path=path, address=str(addresses[0]))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address while the Host header names the URL's host."""

    def __init__(self, target: WebhookTarget, timeout: float):
        super().__init__(target.hostname, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As _PinnedHTTPConnection, with TLS verified against the URL's host name (SNI included)."""

    def __init__(self, target: WebhookTarget, timeout: float):
        super().__init__(target.hostname, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def pinned_connection(target: WebhookTarget, *, timeout: float) -> http.client.HTTPConnection:
    """An unopened connection for `target` that can only reach its checked address."""
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target, timeout)
    return _PinnedHTTPConnection(target, timeout)
