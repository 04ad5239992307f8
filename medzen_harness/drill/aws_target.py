"""The aws target of a drill: refused unless explicitly allowed, then boto3 clients per region."""

from __future__ import annotations

from typing import Any

from medzen_harness.errors import HarnessError

REAL_FAILOVER_FLAG = "--i-understand-this-fails-over-production"


def refuse_unless_allowed(config: dict[str, Any], flag_given: bool) -> None:
    """The first gate (no AWS call yet): allow-list configured, real failover allowed, CLI flag."""
    aws = config["aws"]
    if not aws.get("allowed_account_ids"):
        raise HarnessError("refusing a drill on AWS: config aws.allowed_account_ids is empty; list the "
                           "account id(s) that may be failed over")
    if not aws.get("allow_real_failover"):
        raise HarnessError("refusing a drill on AWS: a real failover needs aws.allow_real_failover: true in the config")
    if not flag_given:
        raise HarnessError(f"refusing a drill on AWS: pass {REAL_FAILOVER_FLAG} to confirm a real regional failover")


class AwsTarget:
    """boto3 clients per region from the configured profiles; the account must be allow-listed."""

    def __init__(self, config: dict[str, Any], endpoint_url: str | None = None):
        self.config = config
        self.endpoint_url = endpoint_url
        self._sessions: dict[str, Any] = {}

    def session(self, region: str) -> Any:
        import boto3

        if region not in self._sessions:
            profile = (self.config["aws"].get("profiles") or {}).get(region)
            self._sessions[region] = boto3.Session(profile_name=profile, region_name=region)
        return self._sessions[region]

    def client(self, service: str, region: str) -> Any:
        return self.session(region).client(service, region_name=region, endpoint_url=self.endpoint_url)

    def verify_accounts(self, regions: list[str]) -> str:
        allowed = {str(a) for a in self.config["aws"]["allowed_account_ids"]}
        accounts = {region: self.client("sts", region).get_caller_identity()["Account"] for region in regions}
        outside = {region: account for region, account in accounts.items() if account not in allowed}
        if outside:
            raise HarnessError(f"refusing a drill on AWS: account(s) {outside} not in aws.allowed_account_ids")
        return next(iter(accounts.values()))
