"""gunicorn settings of the fuzzer's server: gunicorn's defaults, except that its processes
resolve only numeric addresses and localhost and connect only to loopback (tests/network.py).
A webhook URL that the fuzzer invents is resolved to be vetted; the answer must come from
here, not from a DNS query leaving the machine. Loaded in the master before the workers
fork, so they inherit it."""

import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.network import guard_sockets, offline_getaddrinfo  # noqa: E402

socket.getaddrinfo = offline_getaddrinfo
guard_sockets(setattr)
