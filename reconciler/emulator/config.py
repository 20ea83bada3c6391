"""What an emulator instance is: credentials it accepts, where it keeps state, how it behaves in time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from reconciler.emulator.clock import Clock, SystemClock

#: Credentials of `smartlive emulator serve` without options and of the embedded `--local` mode. They are
#: not secrets: the emulator only ever listens on loopback unless told otherwise.
DEFAULT_AK = "local-ak"
DEFAULT_SK = "local-sk"
DEFAULT_PROJECT_ID = "local-project"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8085

#: Seconds a started job stays WAITING before it is PROCESSING.
DEFAULT_START_DELAY = 2.0
#: Lifetime of a live_event_report_url's auth_key.
DEFAULT_EVENT_URL_TTL = 24 * 3600.0

#: Per-tenant limits per operation, requests per second, as MetaStudio publishes them (cn-north-4). The
#: limits of other operations were not found published; set them through `rate_limits` (or /_emulator/faults).
DEFAULT_RATE_LIMITS: Mapping[str, int] = MappingProxyType(
    {"StartSmartLive": 4, "CreateSmartLiveRoom": 1, "UpdateSmartLiveRoom": 1}
)


@dataclass(frozen=True)
class EmulatorConfig:
    ak: str = DEFAULT_AK
    sk: str = DEFAULT_SK
    project_id: str = DEFAULT_PROJECT_ID
    #: An X-Auth-Token value accepted in place of AK/SK; None accepts no token.
    token: str | None = None
    #: SQLite file that keeps all state across restarts; None keeps it in memory.
    data_path: Path | None = None
    #: YAML file of rooms and rule groups created at start (see seed.py).
    seed_path: Path | None = None
    #: Fixed latency added to every API request (a fault setting that /_emulator/faults can change).
    latency_ms: int = 0
    start_delay: float = DEFAULT_START_DELAY
    #: Operation name -> requests per second; empty for `--no-rate-limits`.
    rate_limits: Mapping[str, int] = field(default_factory=lambda: DEFAULT_RATE_LIMITS)
    #: The job concurrency quota (StartSmartLive answers 403 MSS.41000012 past this many active jobs in
    #: the project); None: none. The service's own quota depends on the tenant's package and is not
    #: published. A fault setting, so /_emulator/faults can change it.
    max_active_jobs: int | None = None
    event_url_ttl: float = DEFAULT_EVENT_URL_TTL
    clock: Clock = field(default_factory=SystemClock)
    #: Seed of the random source behind error_rate, jitter and drop_after_commit_rate (None: unseeded).
    fault_seed: int | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    @property
    def database(self) -> str:
        return str(self.data_path) if self.data_path is not None else ":memory:"
