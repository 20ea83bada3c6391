"""A throwaway PostgreSQL cluster for the tests: initdb into a temp dir, serve on a free loopback port.

initdb and postgres refuse to run as root, so under root they run as the `postgres` user (or `nobody`)
through runuser. Roles: `smartlive` (superuser, trust), `secured` (password, to test a refused login)
and `limited` (no right to end others' sessions, to test a refused force-unlock).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

SECURED_PASSWORD = "right-password-81"
HBA = """\
local all all trust
host all secured 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
"""


def _bin_dir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin: "
            "`make test` installs them (apt-get install postgresql)"
        )
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    root: Path
    port: int = 0

    def __post_init__(self) -> None:
        self.bin = _bin_dir()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            user = "postgres" if _has_user("postgres") else "nobody"
            self.prefix = ["runuser", "-u", user, "--"]
            entry = pwd.getpwnam(user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.data = self.root / "data"

    def _run(self, *args: str) -> None:
        # cwd: the unprivileged user may not be allowed into the directory pytest runs from.
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, timeout=120, cwd=self.root)

    def start(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "smartlive", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        (self.data / "pg_hba.conf").write_text(HBA)
        last: Exception | None = None
        for _ in range(5):  # another worker may grab the port between probe and bind: try another
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                self._run(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                    "-w", "-t", "30", "-o", options, "start",
                )  # fmt: skip
                break
            except subprocess.CalledProcessError as exc:
                last = exc
        else:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL did not start: {last}\n{log}")
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE secured LOGIN PASSWORD '{SECURED_PASSWORD}'")
            conn.execute("CREATE ROLE limited LOGIN")

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str, user: str = "smartlive", password: str = "") -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        """A fresh database, open to every test role; its URL for the superuser."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            # FILE_COPY (PostgreSQL 15+) is several times faster than the default WAL_LOG for a tiny
            # template on a cluster that runs with fsync off.
            strategy = " STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else ""
            conn.execute(f"CREATE DATABASE {name}{strategy}")
        return self.url(name)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def start_server() -> PgServer:
    # Under root the server runs as another user, who must be able to reach the directory: /tmp, not a
    # TMPDIR that may sit inside root's home.
    base = "/tmp" if os.geteuid() == 0 and os.path.isdir("/tmp") else None
    server = PgServer(Path(tempfile.mkdtemp(prefix="smartlive-pg-", dir=base)))
    try:
        server.start()
    except BaseException:
        shutil.rmtree(server.root, ignore_errors=True)
        raise
    return server
