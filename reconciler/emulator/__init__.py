"""Local emulator of the MetaStudio smart-live API (what moto is to AWS), conformance-tested with the
official SDK. Modules:

    config.py    EmulatorConfig: credentials, storage, timing, limits
    app.py       create_app(config) -> Starlette (ASGI), usable in-process or behind uvicorn
    routes.py    thin handlers, one per API operation (paths as in the SDK)
    gateway.py   per-request gateway steps: stats, faults, authentication, throttling, error bodies
    auth.py      AK/SK (reconciler.api.signing) and X-Auth-Token, project id check
    backend.py   MetaStudioBackend: state and operations named after the API's, no HTTP
    snapshot.py  a job's configuration: its room at start + the start body, rewritten by commands
    jobcontrol.py  ExecuteSmartLiveCommand: the commands modelled (rewrites, config info, outputs)
    views.py     answers built from stored rows (rooms, jobs, job configuration), secrets masked
    storage.py   SQLite schema and queries (file or :memory:, one code path)
    exceptions.py  the service's error answers (status, code, message)
    eventurl.py  live_event_report_url: auth_key HMAC, expiry, redaction
    faults.py    latency, errors, throttle, drop-after-commit; ratelimit.py: per-operation limits
    controls.py  /_emulator/ test controls (loopback only); stats.py: request counters
    clock.py     injectable time (ManualClock for tests)
    seed.py      --seed YAML; server.py: uvicorn runner, running_emulator(); local.py: local_app()

Heavy imports (starlette, pydantic models, uvicorn) happen in those modules, not here.
"""
