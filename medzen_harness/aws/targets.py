"""Where the stacks go: the embedded AWS (a moto server started and stopped here) or a real
account (a named profile and optional role per region, refused unless the account id is on
`aws.allowed_account_ids`).

Both give the rest of the engine the same thing: an `AwsTarget` with one boto3 session per
region. The `aws` target can be pointed at another AWS-compatible endpoint with the
environment variable MEDZEN_AWS_ENDPOINT_URL — that exists for the tests, which exercise the
real-account code paths (profiles, assume-role, account allow-list) against the moto server.
"""

from __future__ import annotations

import contextlib
import logging
import os
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from medzen_harness.aws.embedded import EMBEDDED_CREDENTIALS, EmbeddedAws
from medzen_harness.config import KNOWN_REGIONS
from medzen_harness.errors import HarnessError

ENDPOINT_OVERRIDE_ENV = "MEDZEN_AWS_ENDPOINT_URL"
TARGET_KINDS = ("embedded", "aws")

# moto answers an unimplemented corner with HTTP 500; retrying only multiplies the wait.
EMBEDDED_BOTO_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)
AWS_BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=60)
# the first call of a session (who am I?) fails fast: an unreachable endpoint is an input error
IDENTITY_BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=30)


@dataclass
class AwsTarget:
    """One boto3 session per region, plus what is needed to build clients for it."""

    kind: str
    sessions: dict[str, boto3.Session]
    account_ids: dict[str, str] = field(default_factory=dict)
    endpoint_url: str | None = None
    boto_config: Config = AWS_BOTO_CONFIG
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    @property
    def embedded(self) -> bool:
        return self.kind == "embedded"

    @property
    def regions(self) -> list[str]:
        return list(self.sessions)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            if region not in self.sessions:
                raise HarnessError(f"region '{region}' is not configured for this target; use one of {', '.join(self.sessions)}")
            self._clients[key] = self.sessions[region].client(
                service, region_name=region, endpoint_url=self.endpoint_url, config=self.boto_config
            )
        return self._clients[key]


def _reachable_account_id(session: boto3.Session, region: str, endpoint_url: str | None, config: Config) -> str:
    sts = session.client("sts", region_name=region, endpoint_url=endpoint_url, config=config)
    try:
        return sts.get_caller_identity()["Account"]
    except botocore.exceptions.EndpointConnectionError as error:
        raise HarnessError(f"AWS endpoint for {region} is unreachable ({error}); check the network or the endpoint") from error
    except botocore.exceptions.NoCredentialsError as error:
        raise HarnessError(f"no AWS credentials for {region}; set aws.profiles.{region} or configure the default chain") from error
    except botocore.exceptions.ClientError as error:
        raise HarnessError(f"AWS rejected the credentials for {region}: {error}") from error


def _region_session(config: dict[str, Any], region: str, endpoint_url: str | None) -> boto3.Session:
    profile = (config["aws"].get("profiles") or {}).get(region)
    role_arn = (config["aws"].get("role_arns") or {}).get(region)
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    except botocore.exceptions.ProfileNotFound as error:
        raise HarnessError(f"AWS profile '{profile}' (aws.profiles.{region}) is not configured; run `aws configure --profile {profile}`") from error
    if not role_arn:
        return session
    sts = session.client("sts", region_name=region, endpoint_url=endpoint_url, config=IDENTITY_BOTO_CONFIG)
    try:
        credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="medzen-harness")["Credentials"]
    except botocore.exceptions.EndpointConnectionError as error:
        raise HarnessError(f"AWS endpoint for {region} is unreachable ({error}); check the network or the endpoint") from error
    except (botocore.exceptions.ClientError, botocore.exceptions.NoCredentialsError) as error:
        raise HarnessError(f"cannot assume role {role_arn} (aws.role_arns.{region}): {error}") from error
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def real_aws_target(config: dict[str, Any], regions: list[str], endpoint_url: str | None = None) -> AwsTarget:
    """Sessions for the `aws` target, each refused unless its account id is allow-listed."""
    allowed = [str(a) for a in config["aws"].get("allowed_account_ids") or []]
    if not allowed:
        raise HarnessError("target aws is refused: aws.allowed_account_ids is empty; list the account id(s) you mean to deploy to")
    target = AwsTarget(kind="aws", sessions={}, endpoint_url=endpoint_url, boto_config=AWS_BOTO_CONFIG)
    for region in regions:
        session = _region_session(config, region, endpoint_url)
        account_id = _reachable_account_id(session, region, endpoint_url, IDENTITY_BOTO_CONFIG)
        if account_id not in allowed:
            raise HarnessError(
                f"target aws is refused: the {region} session is account {account_id}, which is not in aws.allowed_account_ids ({', '.join(allowed)})"
            )
        target.sessions[region] = session
        target.account_ids[region] = account_id
    return target


def quiet_emulator() -> None:
    """moto warns on stderr for every resource type its CloudFormation skips; the deploy
    report lists those as "not emulated" instead."""
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"moto\..*")


def reset_emulator(endpoint_url: str) -> None:
    """Start from an empty account: moto keeps its state in process-wide backends, so a new
    server in the same process would otherwise see the stacks of the previous one."""
    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback only)
        response.read()


def embedded_target(server: EmbeddedAws, regions: list[str]) -> AwsTarget:
    sessions = {region: boto3.Session(**EMBEDDED_CREDENTIALS) for region in regions}
    target = AwsTarget(kind="embedded", sessions=sessions, endpoint_url=server.endpoint_url, boto_config=EMBEDDED_BOTO_CONFIG)
    for region in regions:
        target.account_ids[region] = _reachable_account_id(sessions[region], region, server.endpoint_url, EMBEDDED_BOTO_CONFIG)
    return target


@contextmanager
def open_target(
    config: dict[str, Any], kind: str | None = None, regions: list[str] | None = None, port: int = 0
) -> Iterator[AwsTarget]:
    """The configured target for the block; the embedded server is stopped on the way out."""
    kind = kind or config["aws"]["target"]
    if kind not in TARGET_KINDS:
        raise HarnessError(f"unknown target '{kind}'; use one of {', '.join(TARGET_KINDS)}")
    regions = regions or list(KNOWN_REGIONS)
    if kind == "aws":
        yield real_aws_target(config, regions, os.environ.get(ENDPOINT_OVERRIDE_ENV) or None)
        return
    quiet_emulator()
    with EmbeddedAws(port) as server:
        reset_emulator(server.endpoint_url)
        try:
            yield embedded_target(server, regions)
        finally:
            with contextlib.suppress(OSError):  # leave no state to the next server in this process
                reset_emulator(server.endpoint_url)
