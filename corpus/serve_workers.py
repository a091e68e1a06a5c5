"""`corpus serve --workers N`: N server processes answering on one port.

One Python process answers one request at a time in its event loop, whatever the cores, so many
readers queue behind each other. Here the parent binds the port (which tells at once whether it
can be had), then forks N worker processes; each listens on the same port with SO_REUSEPORT, and
the kernel spreads new connections evenly over them by address. (One socket shared by all would
let the first worker to wake accept a whole burst of connections, and keep-alive clients would
then queue on that one process.) Each worker builds its own Datasette after the fork (its own
SQLite connections, thread pool and response cache).

The parent only supervises: SIGINT (Ctrl-C) or SIGTERM stops every worker and then the parent;
a worker that dies stops the others too, so the server never runs with fewer processes than asked.
"""

from __future__ import annotations

import os
import signal
import socket
from typing import Callable

# The most server processes `corpus serve --workers` starts (one per core is the useful most).
MAX_WORKERS = 64
# Connections the kernel queues on the port before the workers accept them.
BACKLOG = 2048
# Seconds a worker has to finish its requests after SIGTERM before it is killed.
STOP_SECONDS = 10


def bound(host: str, port: int, *, listening: bool = False) -> socket.socket:
    """A socket bound to the port with SO_REUSEPORT (listening, for a worker); OSError when the
    port cannot be had. The parent's stays bound but never listens, so it gets no connections."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # Accepted connections inherit it: without it a response written in two parts waits for the
    # client's delayed acknowledgement (about 40 ms a request, measured).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    if listening:
        sock.listen(BACKLOG)
    return sock


def hold_port(host: str, port: int) -> socket.socket:
    """The parent's socket on the port. A plain bind first, so that a port another server holds
    (even another `corpus serve --workers`, whose sockets would accept ours) is refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    return bound(host, port)


def _worker(address: tuple, make_app: Callable[[], object]) -> None:
    import uvicorn

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sock = bound(address[0], address[1], listening=True)
    server = uvicorn.Server(uvicorn.Config(make_app(), log_level="warning", lifespan="on"))
    server.run(sockets=[sock])


def run_workers(port_holder: socket.socket, workers: int, make_app: Callable[[], object]) -> int:
    """Fork `workers` processes serving `make_app()` on the port `port_holder` is bound to (from
    `hold_port`); return when they have all stopped."""
    address = port_holder.getsockname()
    children: list[int] = []
    stopping = False

    def send(sig: int) -> None:
        for pid in children:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def stop(*_):
        nonlocal stopping
        if not stopping:
            stopping = True
            send(signal.SIGTERM)
            signal.signal(signal.SIGALRM, lambda *_: send(signal.SIGKILL))
            signal.alarm(STOP_SECONDS)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    port_holder.close()
                    _worker(address, make_app)
                except BaseException:
                    code = 1
                os._exit(code)
            children.append(pid)
        failed = False
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            children.remove(pid)
            if not stopping:
                # A worker stopped on its own: stop the rest rather than serve with fewer.
                failed = os.waitstatus_to_exitcode(status) != 0
                stop()
        return 1 if failed else 0
    finally:
        port_holder.close()
        signal.alarm(0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
