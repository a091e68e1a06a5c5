"""`corpus serve --workers N`: N server processes answering on one port.

One Python process answers one request at a time in its event loop, whatever the cores, so many
readers queue behind each other. Here the parent binds and listens on the port once, then forks N
worker processes that accept connections from that one socket (as `uvicorn --workers` and
gunicorn do); the kernel hands each new connection to a worker that is waiting for one. Each
worker builds its own Datasette after the fork (its own SQLite connections, thread pool and
response cache).

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


def listen(host: str, port: int) -> socket.socket:
    """The listening socket the workers share; OSError when the port cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: without it a response written in two parts waits for the
    # client's delayed acknowledgement (about 40 ms a request, measured).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def _worker(sock: socket.socket, make_app: Callable[[], object]) -> None:
    import uvicorn

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    server = uvicorn.Server(uvicorn.Config(make_app(), log_level="warning", lifespan="on"))
    server.run(sockets=[sock])


def run_workers(sock: socket.socket, workers: int, make_app: Callable[[], object]) -> int:
    """Fork `workers` processes serving `make_app()` on `sock`; return when they have all stopped."""
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
                    _worker(sock, make_app)
                except BaseException:
                    code = 1
                os._exit(code)
            children.append(pid)
        sock.close()
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
        signal.alarm(0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
