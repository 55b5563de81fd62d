"""A real OpenSSH server on 127.0.0.1 for the `git:` ssh tests: its own host key, one
authorised client key, no passwords, stopped at the end."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")  # Debian's openssh-server (scripts/install-system-packages.sh)


@dataclass(frozen=True, slots=True)
class SshHost:
    port: int
    client_key: Path  # may log in
    other_key: Path  # may not


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _key(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


@contextlib.contextmanager
def ssh_host(root: Path) -> Iterator[SshHost]:
    root.mkdir(parents=True, exist_ok=True)
    host_key = _key(root / "host_key")
    client = _key(root / "client_key")
    other = _key(root / "other_key")
    authorized = root / "authorized_keys"
    authorized.write_text(client.with_suffix(".pub").read_text())
    authorized.chmod(0o600)
    port = _free_port()
    config = root / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"AuthorizedKeysFile {authorized}\nPidFile {root / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
    log = root / "sshd.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=stderr
        )
        try:
            _wait_listening(proc, port, log)
            yield SshHost(port, client, other)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 10
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"sshd did not start: {log.read_text(errors='replace')}")
        time.sleep(0.05)
