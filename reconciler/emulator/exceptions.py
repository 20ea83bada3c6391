"""Errors the emulated service answers, each carrying its HTTP status and error body (moto's pattern).

Codes come from ../shared/API.md and the seed pages; where the service's answer is unknown the choice is
documented in docs/emulator.md ("Errors the emulator answers").
"""

from __future__ import annotations

from pydantic import ValidationError

from reconciler.api.paths import format_loc


class ServiceError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, str]:
        return {"error_code": self.code, "error_msg": self.message}


def invalid_body(detail: str) -> ServiceError:
    return ServiceError(400, "MSS.00000002", f"Invalid body: {detail}")


def invalid_parameter(detail: str) -> ServiceError:
    return ServiceError(400, "MSS.00000003", f"Invalid parameter: {detail}")


def not_found(kind: str, ident: str) -> ServiceError:
    # The service reports missing things as 400 MSS.10001001 ("Asset not found"); its API pages document no 404.
    return ServiceError(400, "MSS.10001001", f"{kind} not found: {ident}")


def state_conflict(detail: str) -> ServiceError:
    return ServiceError(400, "MSS.20020001", f"Job state does not allow this operation: {detail}")


def concurrency_exceeded(detail: str) -> ServiceError:
    return ServiceError(403, "MSS.41000012", f"Task concurrency limit exceeded: {detail}")


def unauthorized_service() -> ServiceError:
    """The live-event-report answer for a missing, wrong or expired auth_key (seed 000/001)."""
    return ServiceError(401, "MSS.00000001", "Unauthorized")


def gateway_unauthorized(reason: str) -> ServiceError:
    return ServiceError(401, "APIGW.0301", f"Incorrect IAM authentication information: {reason}")


def gateway_throttled(limit: int) -> ServiceError:
    return ServiceError(
        429,
        "APIGW.0308",
        f"The throttling threshold has been reached: policy user over ratelimit,limit:{limit},time:1 second",
    )


def gateway_no_api() -> ServiceError:
    return ServiceError(
        404, "APIGW.0101", "The API does not exist or has not been published in the environment"
    )


def entity_too_large(limit: int) -> ServiceError:
    """The API gateway's answer to a body over its limit (APIG error table: 413 APIG.0201, 12 MB)."""
    return ServiceError(
        413, "APIGW.0201", f"Request entity too large: the body exceeds {limit // (1024 * 1024)} MB"
    )


def request_timeout(seconds: float) -> ServiceError:
    """A body that did not arrive in time. The service documents no code for it: the emulator answers as
    a gateway does, 408 (docs: "Behaviour where the service is silent")."""
    return ServiceError(408, "APIGW.0408", f"Request timeout: the body did not arrive within {seconds:g} s")


def internal_error() -> ServiceError:
    return ServiceError(500, "MSS.00000004", "Internal Error")


def backend_unavailable(status: int) -> ServiceError:
    return ServiceError(status, "APIGW.0201", "Backend unavailable")


def validation_message(error: ValidationError, prefix: str = "") -> str:
    """A pydantic error as the service-style message, naming each field (e.g. events[0].timestamp)."""
    parts = []
    for item in error.errors(include_url=False)[:5]:
        loc = format_loc(item["loc"])
        where = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
        parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
    return "; ".join(parts)
