"""No outgoing network for the test suite.

Python imports ``sitecustomize`` at start-up from the first directory on ``sys.path`` that has
one; the tests put this directory first on ``PYTHONPATH`` for every process they start, so
``mkdocs build``, ``dvc`` and anything else in Python cannot reach another machine. A
connection (or a name lookup) to anything but the loopback interface or a Unix socket raises
``OSError`` and appends a line to the file named by ``MLPLUGIN_NET_LOG``; conftest fails the
test when that file is not empty. ``install()`` does the same in the pytest process itself.

A process started with ``MLPLUGIN_UNINSTALLED`` (top-level package names, comma-separated)
cannot import those packages: Python raises the ``ModuleNotFoundError`` it raises where they
are not installed (tests/test_without_dvc.py: a Python without the [dvc] extra).
"""

from __future__ import annotations

import importlib.abc
import ipaddress
import os
import socket
import sys
import traceback
from typing import Any

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
_ORIGINAL: dict[str, Any] = {}


def _is_local_host(host: Any) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): the local host
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%", 1)[0].lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name that only DNS could answer, or an address elsewhere


def _is_local(address: Any) -> bool:
    if isinstance(address, (str, bytes)):
        return True  # AF_UNIX path (or abstract socket)
    if isinstance(address, tuple) and address:
        return _is_local_host(address[0])
    return False


def _refuse(what: str, target: Any) -> OSError:
    message = f"network blocked by tests/nonet: {what}({target!r}) in process {os.getpid()}"
    log = os.environ.get("MLPLUGIN_NET_LOG")
    if log:
        stack = "".join(traceback.format_stack(limit=12)[:-2]).replace("\n", "\n    ")
        try:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(f"{message}\n    {stack}\n")
        except OSError:
            pass
    return OSError(message)


def install() -> None:
    """Wrap socket.socket.connect/connect_ex, socket.create_connection and
    socket.getaddrinfo so that only loopback and Unix sockets are reachable."""
    if _ORIGINAL:
        return
    _ORIGINAL.update(
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
        create_connection=socket.create_connection,
        getaddrinfo=socket.getaddrinfo,
    )
    for name, wrapper in wrappers().items():
        if name in ("connect", "connect_ex"):
            setattr(socket.socket, name, wrapper)
        else:
            setattr(socket, name, wrapper)


def wrappers(original: dict[str, Any] | None = None) -> dict[str, Any]:
    """The guarded functions, around ORIGINAL (default: the ones install() replaced, or the
    current ones)."""
    orig = (
        original
        or _ORIGINAL
        or {
            "connect": socket.socket.connect,
            "connect_ex": socket.socket.connect_ex,
            "create_connection": socket.create_connection,
            "getaddrinfo": socket.getaddrinfo,
        }
    )

    def connect(self: socket.socket, address: Any) -> Any:
        if not _is_local(address):
            raise _refuse("connect", address)
        return orig["connect"](self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if not _is_local(address):
            raise _refuse("connect_ex", address)
        return orig["connect_ex"](self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(address):
            raise _refuse("create_connection", address)
        return orig["create_connection"](address, *args, **kwargs)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local_host(host):
            raise _refuse("getaddrinfo", host)
        return orig["getaddrinfo"](host, *args, **kwargs)

    return {
        "connect": connect,
        "connect_ex": connect_ex,
        "create_connection": create_connection,
        "getaddrinfo": getaddrinfo,
    }


class _Uninstalled(importlib.abc.MetaPathFinder):
    """Finds no module of the top-level packages NAMES, as when they are not installed."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named '{fullname}'", name=fullname)
        return None


if __name__ == "sitecustomize":  # imported by Python at start-up, not by conftest
    install()
    _hidden = {n for n in os.environ.get("MLPLUGIN_UNINSTALLED", "").split(",") if n}
    if _hidden:
        sys.meta_path.insert(0, _Uninstalled(_hidden))
