"""The tests' network: a resolver the tests control, and no way out but loopback.

DNS is not our service, so tests answer it themselves. ``FakeDNS`` answers the names a test
gives it; a list of answers is handed out one lookup at a time, the last one repeating (DNS
rebinding). Numeric spellings (``127.1``, ``0x7f000001``, ``::1``) go to the real resolver
with AI_NUMERICHOST and ``localhost`` to the real one through /etc/hosts: no query leaves
the machine. Any other name does not exist, and ``*.example.org``/``.com``/``.net`` resolve
to a documentation address (TEST-NET-3), which stands for the public internet.

``guard_sockets`` lets a socket connect only to a loopback IP address: any other connection
(or one by name, which would resolve in C behind our back) is recorded in ``blocked`` and
fails with ENETUNREACH before a packet is sent.
"""

import errno
import ipaddress
import socket

DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
PUBLIC_STAND_IN = "203.0.113.10"
EXAMPLE_ZONES = (".example.org", ".example.com", ".example.net")

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _port(port):
    if port is None:
        return 0
    if isinstance(port, bytes):
        port = port.decode()
    return int(port) if str(port).isdigit() else socket.getservbyname(str(port))


class FakeDNS:
    def __init__(self):
        self.names = {}
        self.lookups = []

    def add(self, name, *answers):
        """``add(name, "127.0.0.1")``: always that; ``add(name, ["203.0.113.7"],
        ["127.0.0.1"])``: the first lookup gets the first list, later ones the next, the last
        list repeating. An address list may mix IPv4 and IPv6."""
        sequence = [[a] if isinstance(a, str) else list(a) for a in answers]
        self.names[name.lower().rstrip(".")] = sequence

    def lookups_of(self, name):
        return [n for n in self.lookups if n == name]

    def answers_for(self, name):
        sequence = self.names.get(name)
        if sequence is not None:
            seen = len(self.lookups_of(name))
            return sequence[min(seen, len(sequence) - 1)]
        if name.endswith(EXAMPLE_ZONES) or name in {z[1:] for z in EXAMPLE_ZONES}:
            return [PUBLIC_STAND_IN]
        return None

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if host is None or isinstance(host, bytes | bytearray):
            return _real_getaddrinfo(host, port, family, type, proto, flags)
        try:
            return _real_getaddrinfo(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except socket.gaierror:
            pass
        name = host.lower().rstrip(".")
        if name == "localhost":
            return _real_getaddrinfo(name, port, family, type, proto, flags)
        answers = self.answers_for(name)
        self.lookups.append(name)
        if answers is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        result = []
        for text in answers:
            address = ipaddress.ip_address(text)
            fam = socket.AF_INET if address.version == 4 else socket.AF_INET6
            if family not in (0, socket.AF_UNSPEC, fam):
                continue
            sockaddr = (text, _port(port)) if fam == socket.AF_INET else (text, _port(port), 0, 0)
            for kind in [type] if type else [socket.SOCK_STREAM]:
                result.append((fam, kind, proto or socket.IPPROTO_TCP, "", sockaddr))
        if not result:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return result


def offline_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """A resolver that knows only numeric addresses and localhost (for a subprocess)."""
    return FakeDNS().getaddrinfo(host, port, family, type, proto, flags)


def _is_loopback(address):
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


class SocketGuard:
    def __init__(self):
        self.blocked = []

    def _check(self, sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            self.blocked.append((address[0], address[1]))
            raise OSError(errno.ENETUNREACH, "the test network reaches loopback only")

    def install(self):
        guard = self

        def connect(sock, address):
            guard._check(sock, address)
            return _real_connect(sock, address)

        def connect_ex(sock, address):
            guard._check(sock, address)
            return _real_connect_ex(sock, address)

        return connect, connect_ex


def guard_sockets(patch):
    """Install a SocketGuard with ``patch(obj, name, value)`` (monkeypatch.setattr)."""
    guard = SocketGuard()
    connect, connect_ex = guard.install()
    patch(socket.socket, "connect", connect)
    patch(socket.socket, "connect_ex", connect_ex)
    return guard
