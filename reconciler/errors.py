"""Errors a user can cause. The CLI turns each into one message and an exit code, never a traceback.

UserError                 -> exit 1, message printed as `error: ...`
├── ConfigError           missing credentials, bad endpoint or option values
├── UsageError            options that do not go together (exit 2)
├── ManifestError         manifests that do not load (validate reports diagnostics itself)
├── RemoteError           the service answered with an error body (carries status, code, message)
│   ├── AuthError         401/403 from the gateway or the service
│   └── UnexpectedAnswerError  an answer that is not what the API documents (shape, size, encoding)
├── ConnectError          the endpoint cannot be reached
│   └── OutcomeUnknownError  a write whose answer was lost: it may have happened
├── TimeLimitError        the run's time limit (--timeout) ran out
├── StalePlanError        a saved plan no longer matches the live state
└── LockError             another apply holds the lock
    └── LockLostError     the lock this process held is held no longer (its session ended)
"""

from __future__ import annotations

from reconciler.redaction import one_line


class UserError(Exception):
    """A failure the user can fix; its message is shown as is."""

    exit_code: int = 1


class ConfigError(UserError):
    pass


class UsageError(UserError):
    """Options that do not go together: exit 2, as argparse's own usage errors."""

    exit_code = 2


class ManifestError(UserError):
    pass


class RemoteError(UserError):
    def __init__(self, status: int, code: str, message: str, operation: str = "") -> None:
        self.status = status
        self.code = code
        # The service's words, on one line: a message that echoes a request body must not spill over.
        message = one_line(message)
        self.error_msg = message
        self.operation = operation
        where = f"{operation}: " if operation else ""
        super().__init__(f"{where}HTTP {status} {code}: {message}")


class AuthError(RemoteError):
    pass


class UnexpectedAnswerError(RemoteError):
    """An answer whose body is not what the API documents: a wrong shape, too large, undecodable.

    The problem names fields and types, never values (a value may be a secret, or megabytes long)."""

    def __init__(self, status: int, problem: str, operation: str) -> None:
        sentence = f"the service answered an unexpected body for {operation}: {problem}"
        super().__init__(status, "", sentence, operation)
        self.args = (sentence,)


class ConnectError(UserError):
    pass


class TimeLimitError(UserError):
    """The run's time limit ran out: nothing more is sent, whatever was still waiting is abandoned."""


class StalePlanError(UserError):
    pass


class LockError(UserError):
    pass


class OutcomeUnknownError(ConnectError):
    """A write whose response was lost (timeout, dropped connection, 5xx): it may have taken effect.

    The API has no idempotency token, so the caller must look the object up before trying again."""


class LockLostError(LockError):
    """The state lock this process took is no longer held: its PostgreSQL session ended (`state unlock
    --force` elsewhere, a server restart, a dropped connection) or its lock file was removed. Another
    process may hold it now, so nothing more may be written, to the store or to the service."""

    def __init__(self, target: str, reason: str) -> None:
        #: What happened, e.g. "its database session ended".
        self.reason = reason
        super().__init__(f"the state lock of {target} was lost ({reason})")
