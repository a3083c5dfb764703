"""A throwaway local Synapse homeserver for the demo and end-to-end tests.

Synapse is installed from PyPI into its own cached virtual environment so its
many dependencies never touch the bot's environment.  Everything here is
synchronous stdlib code: callers are a CLI command and pytest fixtures.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

SYNAPSE_VERSION = "1.163.2"

_CONFIG = "hs.yaml"
_OVERRIDES = "overrides.yaml"
_LOG_CONFIG = "log.yaml"
_STATE = "flattening-homeserver.json"
_OUTPUT = "synapse.out"
_LOG = "homeserver.log"
_UNLIMITED = {"per_second": 1000, "burst_count": 1000}
_RATELIMITS = (
    "rc_registration", "rc_registration_token_validity", "rc_joins_per_room",
    "rc_3pid_validation", "rc_admin_redaction", "rc_third_party_invite",
    "rc_media_create", "rc_delayed_event_mgmt", "rc_room_creation",
    "rc_reports", "rc_user_directory", "rc_profile", "rc_key_requests",
)  # fmt: skip
_NESTED_RATELIMITS = {
    "rc_login": ("address", "account", "failed_attempts"),
    "rc_joins": ("local", "remote"),
    "rc_invites": ("per_room", "per_user", "per_issuer"),
    "rc_presence": ("per_user",),
}


class SynapseError(RuntimeError):
    """Installing, starting or talking to the local homeserver failed."""


@dataclass
class RegisteredUser:
    """Credentials of a user created through the shared-secret admin API."""

    user_id: str
    password: str
    access_token: str
    device_id: str


def private_dir(path: Path, *, tighten: bool = True) -> None:
    """Create `path` so that only its owner can enter it; `tighten` an existing one too
    (not for a folder the person may have chosen for other things as well)."""
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if tighten or not existed:
        path.chmod(0o700)


def make_private(path: Path) -> None:
    """Tighten an existing file (one another program wrote) to owner read and write."""
    if path.exists():
        path.chmod(0o600)


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read (0600), whatever the umask, atomically.

    The temporary file is created afresh: reusing a stale one would keep its mode."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fd = -1
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise


def cache_dir() -> Path:
    """Where the Synapse venvs live; shared across checkouts to install once."""
    env = os.environ.get("FLATTENING_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "flattening"


def _clean_env() -> dict[str, str]:
    """Keep our PYTHONPATH from leaking into Synapse's interpreter."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def _works(python: Path) -> bool:
    if not python.exists():
        return False
    cmd = [str(python), "-c", "import synapse"]
    return subprocess.run(cmd, env=_clean_env(), stderr=subprocess.DEVNULL).returncode == 0


def ensure_synapse(cache: Path | None = None, log: Callable[[str], None] | None = None) -> Path:
    """Return the python of a venv with Synapse, installing it on first use.

    The venv is built in a temporary directory and renamed into place under a
    file lock, so concurrent callers neither clash nor see a half-built venv.
    """
    cache = cache or cache_dir()
    target = cache / f"synapse-{SYNAPSE_VERSION}"
    python = target / "bin" / "python"
    if _works(python):
        return python
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"synapse-{SYNAPSE_VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _works(python):  # somebody else finished while we waited
            return python
        if log:
            log(f"Installing matrix-synapse {SYNAPSE_VERSION} into {target} (one-off)...")
        tmp = Path(tempfile.mkdtemp(prefix=f"synapse-{SYNAPSE_VERSION}.tmp-", dir=cache))
        try:
            for cmd in (
                [sys.executable, "-m", "venv", str(tmp)],
                [str(tmp / "bin" / "python"), "-m", "pip", "install", "--quiet",
                 "--disable-pip-version-check", f"matrix-synapse=={SYNAPSE_VERSION}"],
            ):  # fmt: skip
                done = subprocess.run(cmd, env=_clean_env(), capture_output=True, text=True)
                if done.returncode != 0:
                    raise SynapseError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
            if target.exists():  # a broken earlier install
                shutil.rmtree(target)
            os.rename(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if not _works(python):
        raise SynapseError(f"Synapse installed into {target} but cannot be imported")
    if log:
        log("Synapse installed.")
    return python


def free_port() -> int:
    """Ask the kernel for an unused loopback port (racy, but good enough here)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    """Like Twisted, use SO_REUSEADDR: TIME_WAIT leftovers from a stopped run don't count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def registration_mac(secret: str, nonce: str, username: str, password: str, admin: bool) -> str:
    """HMAC-SHA1 that proves to /_synapse/admin/v1/register we know the secret."""
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    for part in (nonce, username, password):
        mac.update(part.encode() + b"\x00")
    mac.update(b"admin" if admin else b"notadmin")
    return mac.hexdigest()


def override_config(
    *, port: int, shared_secret: str, log_config: Path, relaxed_ratelimits: bool = False
) -> str:
    """Render the config layered over the generated hs.yaml.

    Synapse replaces top-level keys from later --config-path files, so this
    swaps the generated listeners (which include ::1) for one on 127.0.0.1.
    JSON is emitted because it is valid YAML and PyYAML is not available.
    rc_message stays at Synapse's default unless relaxed, so tests can provoke
    HTTP 429 on purpose; every other limit is raised out of the way.
    """
    config: dict[str, Any] = {
        "listeners": [{
            "port": port, "bind_addresses": ["127.0.0.1"], "type": "http",
            "tls": False, "x_forwarded": False,
            "resources": [{"names": ["client"], "compress": False}],
        }],
        "registration_shared_secret": shared_secret,
        "enable_registration": False,
        "suppress_key_server_warning": True,
        "trusted_key_servers": [],
        "report_stats": False,
        "presence": {"enabled": False},
        "log_config": str(log_config),
    }  # fmt: skip
    config.update({key: dict(_UNLIMITED) for key in _RATELIMITS})
    for key, subkeys in _NESTED_RATELIMITS.items():
        config[key] = {sub: dict(_UNLIMITED) for sub in subkeys}
    if relaxed_ratelimits:
        config["rc_message"] = dict(_UNLIMITED)
    return json.dumps(config, indent=2) + "\n"


def _log_config(log_file: Path) -> str:
    """Unbuffered INFO logging to a file, so a failed test run can be diagnosed."""
    return json.dumps({
        "version": 1,
        "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "formatter": "plain",
                              "filename": str(log_file), "encoding": "utf8"}},
        "loggers": {"synapse.storage.SQL": {"level": "WARNING"}},
        "root": {"level": "INFO", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }, indent=2) + "\n"  # fmt: skip


def _tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return f"--- {path.name} ---\n" + "\n".join(text.splitlines()[-lines:])


class Homeserver:
    """A Synapse process on 127.0.0.1 with its data kept in `directory`."""

    server_name = "localhost"

    def __init__(self, directory: Path, port: int, python: Path) -> None:
        self.directory = directory
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self._python = python
        self._process: subprocess.Popen[bytes] | None = None

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads((self.directory / _STATE).read_text())
        return state

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                result: dict[str, Any] = json.loads(response.read() or b"{}")
                return result
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            with contextlib.suppress(ValueError, AttributeError):
                err = json.loads(detail)
                detail = f"{err.get('errcode', '')}: {err.get('error', detail)}"
            raise SynapseError(f"{method} {path} -> HTTP {exc.code} {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SynapseError(f"{method} {path} failed: {exc}") from exc

    def register(
        self, username: str, password: str | None = None, admin: bool = False
    ) -> RegisteredUser:
        """Create a user via the shared-secret admin API (open registration is off)."""
        password = password or secrets.token_urlsafe(16)
        path = "/_synapse/admin/v1/register"
        nonce = str(self.request("GET", path)["nonce"])
        mac = registration_mac(self._state()["shared_secret"], nonce, username, password, admin)
        body = dict(nonce=nonce, username=username, password=password, admin=admin, mac=mac)
        reply = self.request("POST", path, body)
        return RegisteredUser(reply["user_id"], password, reply["access_token"], reply["device_id"])

    def lift_ratelimit(self, user_id: str) -> None:
        """Exempt one user (e.g. a test's driver account) from message rate limits."""
        state = self._state()
        if "admin_token" not in state:  # remembered so a reused directory needs no new admin
            admin = self.register(f"flattening-admin-{secrets.token_hex(4)}", admin=True)
            state["admin_token"] = admin.access_token
            write_private(self.directory / _STATE, json.dumps(state, indent=2))
        path = f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit"
        unlimited = {"messages_per_second": 0, "burst_count": 0}
        self.request("POST", path, unlimited, token=state["admin_token"])

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The running Synapse's process id (benchmarks read its CPU time)."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def start(self, timeout: float = 60.0) -> None:
        """(Re)start Synapse on the same port and data, returning once it answers."""
        if self.is_running():
            return
        d = self.directory
        with open(d / _OUTPUT, "ab") as output:  # the child keeps its own descriptor
            self._process = subprocess.Popen(
                [str(self._python), "-m", "synapse.app.homeserver",
                 "--config-path", str(d / _CONFIG), "--config-path", str(d / _OVERRIDES)],
                cwd=d, env=_clean_env(), stdin=subprocess.DEVNULL, stdout=output, stderr=output,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                code, self._process = self._process.returncode, None
                tails = f"{_tail(d / _OUTPUT)}\n{_tail(d / _LOG)}"
                raise SynapseError(f"Synapse exited with code {code} at start-up.\n{tails}")
            try:
                self.request("GET", "/_matrix/client/versions")
                return
            except SynapseError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise SynapseError(
                        f"Synapse did not answer within {timeout:.0f} s; see {d / _LOG}"
                    ) from None
                time.sleep(0.2)

    def stop(self) -> None:
        """Terminate politely, kill after 10 s; safe to call repeatedly."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> Homeserver:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def configure(
    directory: Path,
    python: Path,
    *,
    port: int | None = None,
    relaxed_ratelimits: bool = False,
    log: Callable[[str], None] | None = None,
) -> int:
    """Write (or refresh) Synapse's config in `directory`; returns the port to serve on.

    The directory and every file holding a secret (the generated config with its
    secrets, the signing key, our state with the shared secret and admin token, the
    overrides) are readable by their owner only.
    """
    private_dir(directory)
    state_file = directory / _STATE
    if not (directory / _CONFIG).exists():
        if log:
            log(f"Generating Synapse config in {directory}")
        generated = subprocess.run(
            [str(python), "-m", "synapse.app.homeserver", "--server-name", "localhost",
             "--config-path", _CONFIG, "--data-directory", str(directory),
             "--generate-config", "--report-stats=no"],
            cwd=directory, env=_clean_env(), capture_output=True, text=True,
        )  # fmt: skip
        if generated.returncode != 0:
            raise SynapseError(f"Generating Synapse config failed:\n{generated.stderr[-3000:]}")
    make_private(directory / _CONFIG)
    for key in directory.glob("*.signing.key"):
        make_private(key)
    state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
    state.setdefault("shared_secret", secrets.token_urlsafe(32))
    stored = state.get("port")
    if port is None:
        port = stored if isinstance(stored, int) and _port_is_free(stored) else free_port()
    state["port"] = port
    write_private(state_file, json.dumps(state, indent=2))
    (directory / _LOG_CONFIG).write_text(_log_config(directory / _LOG))
    overrides = override_config(
        port=port,
        shared_secret=state["shared_secret"],
        log_config=directory / _LOG_CONFIG,
        relaxed_ratelimits=relaxed_ratelimits,
    )
    write_private(directory / _OVERRIDES, overrides)
    return port


def start_homeserver(
    directory: Path,
    *,
    port: int | None = None,
    relaxed_ratelimits: bool = False,
    python: Path | None = None,
    log: Callable[[str], None] | None = None,
    timeout: float = 60.0,
) -> Homeserver:
    """Start Synapse in `directory`, generating its config only the first time; `timeout`:
    seconds it may take to answer.

    Reusing an existing directory keeps its users and rooms, so the demo can be
    stopped and resumed; the stored port is reused while it is still free.
    """
    directory = directory.resolve()
    python = python or ensure_synapse(log=log)
    port = configure(directory, python, port=port, relaxed_ratelimits=relaxed_ratelimits, log=log)
    server = Homeserver(directory, port, python)
    if log:
        log(f"Starting Synapse at {server.base_url} (data in {directory})")
    server.start(timeout)
    return server
