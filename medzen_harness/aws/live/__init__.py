"""Live compliance: the gate's KMS / retention / TLS policy ids checked against deployed
resources through boto3. One plain function per policy id (in kms.py, retention.py, tls.py),
registered with `@live_check(policy_id, resource_type)`; it gets the service client and the
resource's physical id and returns `(compliant, what_the_account_shows)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

LiveFn = Callable[..., tuple[bool, str]]


@dataclass(frozen=True)
class LiveCheck:
    policy: str
    resource_type: str
    service: str
    fn: LiveFn


REGISTRY: dict[str, list[LiveCheck]] = {}


def live_check(policy: str, resource_type: str, service: str) -> Callable[[LiveFn], LiveFn]:
    def register(fn: LiveFn) -> LiveFn:
        REGISTRY.setdefault(policy, []).append(LiveCheck(policy, resource_type, service, fn))
        return fn
    return register


def load_checks() -> dict[str, list[LiveCheck]]:
    from medzen_harness.aws.live import kms, retention, tls  # noqa: F401  (registers the checks)
    return REGISTRY
