import socket
from types import SimpleNamespace

import pytest

from tests.network import DOCUMENTATION_NETWORKS, FakeDNS, guard_sockets


@pytest.fixture
def network(monkeypatch):
    """The network of a webhook test (see tests/network.py): ``network.dns`` answers the
    names, documentation addresses count as the public internet, and a connection anywhere
    but loopback is stopped before it leaves and listed in ``network.blocked``."""
    from roadmap_portal.webhooks import destinations

    dns = FakeDNS()
    monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo)
    real_address_kind = destinations.address_kind

    def address_kind(address):
        if any(address in net for net in DOCUMENTATION_NETWORKS):
            return destinations.AddressKind.PUBLIC
        return real_address_kind(address)

    monkeypatch.setattr(destinations, "address_kind", address_kind)
    guard = guard_sockets(monkeypatch.setattr)
    return SimpleNamespace(dns=dns, blocked=guard.blocked, real_address_kind=real_address_kind)
