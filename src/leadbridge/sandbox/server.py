"""SandboxServer: the sandbox CRM on 127.0.0.1 (HTTPS by default), in a thread or in the foreground."""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import uvicorn

from leadbridge.background_server import BackgroundServer
from leadbridge.errors import SandboxError
from leadbridge.sandbox.auth import Sessions
from leadbridge.sandbox.config import SandboxConfig
from leadbridge.sandbox.faults import Faults
from leadbridge.sandbox.middleware import DroppedConnection
from leadbridge.sandbox.org import Org
from leadbridge.sandbox.tls import ensure_certificates

HOST = "127.0.0.1"


class _QuietDrops(logging.Filter):
    """Injected connection drops are the point, and idle keep-alive clients at shutdown are normal: no noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection) and "timeout graceful shutdown exceeded" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """KEY=value lines a shell can source (values quoted when they need it); written whole or not at all."""
    tmp = Path(path).with_suffix(".tmp")
    tmp.write_text("".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items()), encoding="utf-8")
    tmp.replace(path)


class SandboxServer:
    """A running sandbox: `start()`, then `instance_url`, `ca_bundle`, the credentials, `env()`, `stop()`."""

    def __init__(self, data_dir: Path, port: int = 0, https: bool = True, faults: str | None = None,
                 seed: int | None = None, config: SandboxConfig | None = None):
        self.data_dir = Path(data_dir).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config = config or SandboxConfig()
        self.port = port or _free_port()
        self.https = https
        self.org = Org(self.data_dir, self.config)
        self.sessions = Sessions(self.config)
        self.faults = Faults(faults if faults is not None else self.config.faults,
                             seed if seed is not None else self.config.seed)
        self.ca_bundle: str | None = None
        self._background: BackgroundServer | None = None

    # -- what clients need --------------------------------------------------------------------

    @property
    def instance_url(self) -> str:
        return f"{'https' if self.https else 'http'}://{HOST}:{self.port}"

    @property
    def username(self) -> str:
        return self.config.username

    @property
    def password(self) -> str:
        return self.config.password

    @property
    def client_id(self) -> str:
        return self.config.client_id

    @property
    def client_secret(self) -> str:
        return self.config.client_secret

    def env(self) -> dict[str, str]:
        return {"SANDBOX_INSTANCE_URL": self.instance_url, "SANDBOX_CA_BUNDLE": self.ca_bundle or "",
                "SANDBOX_USERNAME": self.username, "SANDBOX_PASSWORD": self.password,
                "SANDBOX_CLIENT_ID": self.client_id, "SANDBOX_CLIENT_SECRET": self.client_secret}

    def write_env(self, path: Path) -> None:
        write_env_file(path, self.env())

    # -- running ------------------------------------------------------------------------------

    def _config(self) -> uvicorn.Config:
        from leadbridge.sandbox.app import build_app
        kw: dict[str, Any] = {}
        if self.https:
            ca, cert, key = ensure_certificates(self.data_dir)
            self.ca_bundle = str(ca)
            kw = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
        return uvicorn.Config(build_app(self), host=HOST, port=self.port, log_level="warning", access_log=False,
                              timeout_keep_alive=30, lifespan="off", timeout_graceful_shutdown=1, **kw)

    def start(self) -> "SandboxServer":
        """Serve in a background thread; returns once the port accepts connections."""
        self._background = BackgroundServer(self._config(), "sandbox")
        self._background.start(SandboxError(f"the sandbox did not start on port {self.port}",
                                            hint="is the port taken? try --port 0 for a free one"))
        return self

    def serve_forever(self, env_file: Path | None = None, on_ready: Any = None) -> None:
        """Serve in the foreground (CLI); writes `env_file` once ready."""
        server = uvicorn.Server(self._config())

        async def ready_hook() -> None:
            while not server.started:
                import asyncio
                await asyncio.sleep(0.02)
            if env_file:
                self.write_env(env_file)
            if on_ready:
                on_ready(self)
        import asyncio

        async def main() -> None:
            await asyncio.gather(server.serve(), ready_hook())
        asyncio.run(main())

    def stop(self) -> None:
        """Stop serving: in-flight requests finish; idle keep-alive TLS connections are not waited for."""
        if self._background:
            self._background.stop()
        self.org.store.close()

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class SandboxProcess:
    """The sandbox in its own process (`python -m leadbridge.sandbox`), as a real CRM is another machine:
    it does not share this process's GIL. Clients get what `SandboxServer` gives them (`instance_url`,
    `ca_bundle`, the credentials, `env()`, `write_env()`), but no `org`: read its state through the API."""

    def __init__(self, data_dir: Path, port: int = 0, https: bool = True, faults: str | None = None,
                 seed: int | None = None, config_file: Path | None = None, timeout: float = 60):
        self.data_dir = Path(data_dir).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port, self.https, self.faults, self.seed = port, https, faults, seed
        self.config_file, self.timeout = config_file, timeout
        self._env: dict[str, str] = {}
        self._proc: subprocess.Popen | None = None

    instance_url = property(lambda self: self._env["SANDBOX_INSTANCE_URL"])
    ca_bundle = property(lambda self: self._env.get("SANDBOX_CA_BUNDLE") or None)
    username = property(lambda self: self._env["SANDBOX_USERNAME"])
    password = property(lambda self: self._env["SANDBOX_PASSWORD"])
    client_id = property(lambda self: self._env["SANDBOX_CLIENT_ID"])
    client_secret = property(lambda self: self._env["SANDBOX_CLIENT_SECRET"])

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def env(self) -> dict[str, str]:
        return dict(self._env)

    def write_env(self, path: Path) -> None:
        write_env_file(path, self._env)

    def start(self) -> "SandboxProcess":
        """Start the process; returns once it serves (it writes its env file when ready)."""
        env_file = self.data_dir / "sandbox-process.env"
        env_file.unlink(missing_ok=True)
        args = [sys.executable, "-m", "leadbridge.sandbox", "--port", str(self.port), "--data", str(self.data_dir),
                "--env-file", str(env_file)]
        if not self.https:
            args.append("--http")
        if self.faults is not None:
            args += ["--faults", self.faults]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        if self.config_file is not None:
            args += ["--config", str(self.config_file)]
        log_file = self.data_dir / "sandbox-process.log"  # a file, not a pipe: a full pipe would stall the server
        with open(log_file, "wb") as log_out:
            self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log_out)
        deadline = time.monotonic() + self.timeout
        while not env_file.exists():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                err = log_file.read_text(encoding="utf-8", errors="replace").strip()[-500:]
                raise SandboxError(f"the sandbox process did not start: {err or 'no answer in time'}")
            time.sleep(0.05)
        self._env = {}
        for line in env_file.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                self._env[key] = "".join(shlex.split(value))
        return self

    def stop(self) -> None:
        """Ctrl-C it (uvicorn finishes in-flight requests), then kill it if it lingers."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> "SandboxProcess":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def reset(data_dir: Path) -> None:
    """Remove every record (keeps the TLS certificates so clients keep trusting the CA)."""
    if not Path(data_dir).exists():
        raise SandboxError(f"no sandbox data in {data_dir}", hint="pass the --data folder the sandbox was started with")
    db = Path(data_dir) / "sandbox.db"
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(db) + suffix)
        if p.exists():
            p.unlink()


def remove_everything(data_dir: Path) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)
