"""Where webhooks may go, and getting there without being talked into going elsewhere.

A destination is judged by the addresses its host resolves to, never by how the URL spells
it: ``getaddrinfo`` turns every spelling (``2130706433``, ``0x7f000001``, ``0177.0.0.1``,
``127.1``, ``[::ffff:127.0.0.1]``, a name in DNS) into the address it means, and the
destination is refused when ANY of those addresses is not allowed. That happens when the URL
is registered and again at every connection, on the addresses resolved for that connection.
The socket is then opened to one of those vetted addresses itself, so nothing resolves the
name a second time (DNS rebinding finds no second lookup to answer); the request still
names the host in ``Host`` and in TLS, whose SNI and certificate check use the host name.

The stdlib's ``http.client`` carries the POST: one request, no redirects, no proxies, no
connection pool, so a connection class that opens its own socket is all the pinning needs.
"""

import dataclasses
import enum
import http.client
import ipaddress
import socket
import ssl
import urllib.parse

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressKind(enum.Enum):
    PUBLIC = "public"
    # Admitted only by settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS (on-premise installations).
    PRIVATE = "private"
    # Never a webhook receiver, whatever the settings say.
    FORBIDDEN = "forbidden"


def _networks(*cidrs):
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


# Checked before PRIVATE_NETWORKS: some of these lie inside ranges the setting admits.
FORBIDDEN_NETWORKS = _networks(
    "100.100.100.200/32",  # Alibaba Cloud metadata service (inside 100.64.0.0/10)
    "fd00:ec2::254/128",  # AWS IPv6 instance metadata service (inside fc00::/7)
    "0.0.0.0/8",  # "this network": 0.0.0.0 reaches the local host
    "169.254.0.0/16",  # link-local, cloud metadata at 169.254.169.254
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24",  # documentation (TEST-NET-1)
    "192.88.99.0/24",  # 6to4 relay anycast
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",  # documentation (TEST-NET-2)
    "203.0.113.0/24",  # documentation (TEST-NET-3)
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, with 255.255.255.255 (broadcast)
    "::/128",  # unspecified
    "100::/64",  # discard-only
    "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, ORCHID
    "2001:db8::/32",  # documentation
    "3fff::/20",  # documentation
    "5f00::/16",  # segment routing SIDs
    "64:ff9b:1::/48",  # local-use IPv4/IPv6 translation
    "fe80::/10",  # link-local
    "fec0::/10",  # site-local (deprecated)
    "ff00::/8",  # multicast
)
PRIVATE_NETWORKS = _networks(
    "127.0.0.0/8",  # loopback
    "::1/128",  # loopback
    "10.0.0.0/8",  # RFC 1918
    "172.16.0.0/12",  # RFC 1918
    "192.168.0.0/16",  # RFC 1918
    "100.64.0.0/10",  # shared address space (carrier-grade NAT)
    "fc00::/7",  # unique local
)
_IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-compatible (``::a.b.c.d``), NAT64 (``64:ff9b::a.b.c.d``) or 6to4 (``2002:AABB:CCDD::``)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    value = int(address)
    if address in _NAT64 or (value >> 32 == 0 and value > 1):  # not :: nor ::1
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def address_kind(address: Address) -> AddressKind:
    """Whether ``address`` is on the public internet, on a private network that an on-premise
    installation may admit, or never a receiver. Our own tables decide, not the ``is_*``
    flags of ``ipaddress``, which differ between Python releases (3.11 counts
    ``64:ff9b::7f00:1`` and ``2002:7f00:1::`` as global)."""
    if address.version == 6:
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_kind(embedded)
    if any(address in network for network in FORBIDDEN_NETWORKS):
        return AddressKind.FORBIDDEN
    if any(address in network for network in PRIVATE_NETWORKS):
        return AddressKind.PRIVATE
    if address.version == 6 and address not in _IPV6_GLOBAL_UNICAST:
        return AddressKind.FORBIDDEN  # the rest of IPv6 is reserved
    return AddressKind.PUBLIC


# --- destinations ------------------------------------------------------------------


class DestinationRefused(Exception):
    """The host does not resolve, or resolves to an address that is not allowed. The text is
    for the server log: a partner is told only that it was refused or could not connect."""


class NeedsTLS(DestinationRefused):
    """Plain http to a public address: events cross the internet only over TLS."""


@dataclasses.dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # ASCII (IDNA), without the brackets of an IPv6 literal
    port: int
    target: str  # path and query, as the request line carries them


@dataclasses.dataclass(frozen=True)
class Answer:
    """One address from getaddrinfo: what is connected to, exactly as it was vetted."""

    family: int
    sockaddr: tuple
    address: Address


def parse_destination(url) -> Destination:
    """The parts of an http(s) URL that a delivery uses; ValidationError (on ``url``) for
    anything else. Nothing is resolved here."""
    text = str(url or "").strip()
    invalid = ValidationError(
        {"url": _("Give a full URL, e.g. https://partner.example.org/roadmap-events.")}
    )
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise invalid
    try:
        parsed = urllib.parse.urlsplit(text)
        port = parsed.port
        host = (parsed.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise invalid from None
    if parsed.scheme not in ("http", "https") or not host:
        raise invalid
    if parsed.username is not None or parsed.password is not None:
        raise ValidationError({"url": _("Do not put credentials in the URL.")})
    target = parsed.path or "/"
    if parsed.query:
        target = f"{target}?{parsed.query}"
    return Destination(
        scheme=parsed.scheme,
        host=host,
        port=port or (443 if parsed.scheme == "https" else 80),
        target=target,
    )


def resolve(host: str, port: int) -> list[Answer]:
    """Every address ``host`` resolves to (each spelling of an IP address resolves to
    itself), in the resolver's order; DestinationRefused when there is none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DestinationRefused(f"{host} does not resolve ({exc})") from exc
    answers = {}
    for family, _type, _proto, _canonname, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            answers.setdefault(
                sockaddr, Answer(family, sockaddr, ipaddress.ip_address(sockaddr[0]))
            )
    if not answers:
        raise DestinationRefused(f"{host} has no IP address")
    return list(answers.values())


def vet(destination: Destination, answers: list[Answer], *, allow_private: bool) -> None:
    """Refuse the destination when ANY of its addresses is not allowed: FORBIDDEN always,
    PRIVATE unless ``allow_private``. Plain http is for private addresses only (the setting
    admits them); a public one needs TLS."""
    kinds = {answer.address: address_kind(answer.address) for answer in answers}
    refused = [
        f"{address} ({kind.value})"
        for address, kind in kinds.items()
        if kind is AddressKind.FORBIDDEN or (kind is AddressKind.PRIVATE and not allow_private)
    ]
    if refused:
        raise DestinationRefused(f"{destination.host} resolves to {', '.join(refused)}")
    if destination.scheme == "http" and AddressKind.PUBLIC in kinds.values():
        raise NeedsTLS(f"plain http to public {destination.host}")


def _open_socket(answer: Answer, timeout) -> socket.socket:
    sock = socket.socket(answer.family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(answer.sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


def connect_vetted(destination: Destination, *, timeout, allow_private: bool) -> socket.socket:
    """A socket to the destination: resolved now, vetted, and connected to one of the very
    addresses that were vetted (tried in the resolver's order)."""
    answers = resolve(destination.host, destination.port)
    vet(destination, answers, allow_private=allow_private)
    error = None
    for answer in answers:
        try:
            return _open_socket(answer, timeout)
        except OSError as exc:
            error = exc
    raise error


class _Pinned:
    """An http.client connection whose socket comes from connect_vetted: ``host`` stays the
    name (the Host header), the socket goes to a vetted address."""

    def __init__(self, destination: Destination, *, timeout, allow_private: bool, **kwargs):
        super().__init__(destination.host, destination.port, timeout=timeout, **kwargs)
        self.destination = destination
        self.allow_private = allow_private

    def _vetted_socket(self):
        return connect_vetted(
            self.destination, timeout=self.timeout, allow_private=self.allow_private
        )


class PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    def connect(self):
        self.sock = self._vetted_socket()


class PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    """TLS to the vetted address with the host name as SNI and as the name the certificate
    must carry (the system's trust store; SSL_CERT_FILE points OpenSSL at another)."""

    def __init__(self, destination: Destination, **kwargs):
        self.tls = ssl.create_default_context()
        super().__init__(destination, context=self.tls, **kwargs)

    def connect(self):
        sock = self._vetted_socket()
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.destination.host)
        except BaseException:
            sock.close()
            raise


class CouldNotConnect(Exception):
    """No HTTP answer came: refused destination, DNS, TCP, TLS, timeout or a broken answer.
    The text is the detail for the server log, never for the partner."""


def post(url, body: bytes, headers: dict, *, timeout, allow_private: bool) -> int:
    """POST ``body`` to ``url`` through a pinned connection and return the answer's status
    code (a redirect is just its 3xx: never followed). CouldNotConnect when there was none."""
    destination = parse_destination(url)
    connection_class = (
        PinnedHTTPSConnection if destination.scheme == "https" else PinnedHTTPConnection
    )
    connection = connection_class(destination, timeout=timeout, allow_private=allow_private)
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        response.close()
        return status
    except (DestinationRefused, OSError, http.client.HTTPException, ValueError) as exc:
        raise CouldNotConnect(f"{exc.__class__.__name__}: {exc}") from exc
    finally:
        connection.close()
