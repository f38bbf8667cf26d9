"""The web listener of `k351c serve`: uvicorn inside the runtime's asyncio loop, and the write token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import sys
from pathlib import Path

import uvicorn

from k351c.server.runtime import ListenerFactory, Runtime
from k351c.web.app import create_app

log = logging.getLogger("k351c.web")
TOKEN_FILE = "web-token"
TOKEN_ENV = "K351C_WEB_TOKEN"


def resolve_token(state: Path | None, given: str | None = None) -> str:
    """The write token: given (--web-token / $K351C_WEB_TOKEN), else the state dir's, created once."""
    given = given or os.environ.get(TOKEN_ENV)
    if given:
        return given
    if state is None:
        return secrets.token_urlsafe(16)
    path = Path(state) / TOKEN_FILE
    if path.exists():
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return text
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(16)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token


def web_listener(port: int, state: Path | None = None, token: str | None = None) -> ListenerFactory:
    """A listener factory serving the web page on ``port`` (0 = off)."""

    async def start(runtime: Runtime) -> None:
        if not port:
            return None
        secret = resolve_token(state, token)
        sock = socket.create_server((runtime.host, port), reuse_port=False)
        sock.setblocking(False)
        config = uvicorn.Config(
            create_app(runtime, secret),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        config.load()
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[sock])
        bound = sock.getsockname()[1]
        print(
            f"web: http://{runtime.host}:{bound}/  write token: {secret}",
            file=sys.stderr,
            flush=True,
        )
        log.info("web page on http://%s:%d/", runtime.host, bound)
        asyncio.get_running_loop().create_task(_run(server, runtime))
        return None

    return start


async def _run(server: uvicorn.Server, runtime: Runtime) -> None:
    ticker = asyncio.get_running_loop().create_task(server.main_loop())
    await runtime.stopping.wait()
    server.should_exit = True
    with contextlib.suppress(Exception):
        await ticker
        await server.shutdown()
