"""Deploy the stack plan in order, passing outputs on, and tear it down in reverse order,
verifying by listing that nothing is left.

- New stack: CreateStack (moto gives no Outputs to stacks created through a CREATE change
  set; CreateStack behaves the same on both, see emulator.GAPS).
- Existing stack: an UPDATE change set; an empty change set ("didn't contain changes" /
  "No updates are to be performed") is `unchanged`, not an error. Redeploy is idempotent.
- A stack that fails: the failing resource and its reason are read from the stack events
  (or the emulator's error), the partial stack is deleted, every stack this run created is
  torn down, then one HarnessError is raised.
- Teardown: reverse order, DeleteStack + wait, then every physical resource the stack had
  is looked up through its own service API (inventory.EXISTS). Leftovers are reported.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions
from botocore.exceptions import WaiterError
from botocore.parsers import ResponseParserError

from medzen_harness.aws import inventory
from medzen_harness.aws.emulator import GAPS_BY_ID, failing_resource_in_emulator
from medzen_harness.aws.plan import StackPlan, StackSpec
from medzen_harness.aws.targets import AwsTarget
from medzen_harness.errors import HarnessError

# botocore cannot parse some emulator error bodies (JSON or HTML where XML is expected)
BOTO_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, WaiterError, ResponseParserError)
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
TEMPLATE_BODY_LIMIT = 51_200  # bytes CloudFormation accepts inline
COMPLETE = ("CREATE_COMPLETE", "UPDATE_COMPLETE")


@dataclass
class StackResult:
    name: str
    template: str
    region: str
    status: str  # created | updated | unchanged | skipped
    stack_id: str = ""
    stack_status: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    resources: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    reason: str = ""

    def contract(self) -> dict[str, str]:
        row = {"name": self.name, "template": self.template, "region": self.region, "status": self.status}
        return row | ({"reason": self.reason} if self.reason else {})


@dataclass
class TeardownReport:
    performed: bool
    stacks: list[dict[str, str]] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)
    swept: list[str] = field(default_factory=list)
    retained: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def contract(self) -> dict[str, Any]:
        return {"performed": self.performed, "leftover": self.leftover, "swept": self.swept,
                "retained": self.retained, "purged": self.purged, "unchecked": self.unchecked, "stacks": self.stacks}


class StackFailed(HarnessError):
    pass


def _waiter_config(target: AwsTarget) -> dict[str, int]:
    # Bounded: embedded answers at once; a real Multi-AZ RDS + replica can take ~40 min.
    return {"Delay": 1, "MaxAttempts": 60} if target.embedded else {"Delay": 15, "MaxAttempts": 240}


def error_text(error: Exception) -> str:
    """One line from a boto error, including moto's JSON/HTML bodies that botocore cannot parse."""
    text = str(error)
    match = re.search(r'"message":\s*"([^"]+)"', text)
    if match:
        return match.group(1)
    if "500 Internal Server Error" in text:
        return "the emulator answered HTTP 500 (an unemulated property or resource combination)"
    return text.splitlines()[0][:300] if text else type(error).__name__


def stack_status(target: AwsTarget, spec: StackSpec) -> str | None:
    try:
        stacks = target.client("cloudformation", spec.region).describe_stacks(StackName=spec.name)["Stacks"]
    except botocore.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    status = stacks[0]["StackStatus"] if stacks else None
    return None if status == "DELETE_COMPLETE" else status


def resolve_parameters(target: AwsTarget, spec: StackSpec, outputs: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    return [{"ParameterKey": key, "ParameterValue": resolve_value(target, spec, key, value, outputs)}
            for key, value in spec.parameters.items()]


def resolve_value(target: AwsTarget, spec: StackSpec, key: str, value: Any, outputs: dict[str, dict[str, str]]) -> str:
    if isinstance(value, dict) and "target" in value:
        if target.kind not in value["target"]:
            raise HarnessError(f"stack {spec.id}: parameter {key} has no value for target {target.kind}")
        return resolve_value(target, spec, key, value["target"][target.kind], outputs)
    if isinstance(value, dict) and "output" in value:
        stack_id, _, output_key = str(value["output"]).rpartition(".")
        if output_key not in outputs.get(stack_id, {}):
            known = ", ".join(outputs.get(stack_id, {})) or "none"
            raise HarnessError(f"stack {spec.id}: parameter {key} needs output {value['output']}, which the stack does not export (has: {known})")
        return outputs[stack_id][output_key]
    if isinstance(value, dict) and "certificate" in value:
        return certificate_arn(target, spec.region, str(value["certificate"]))
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def certificate_arn(target: AwsTarget, region: str, domain: str) -> str:
    """The ACM certificate for `domain`: requested from the emulator, looked up on real AWS."""
    acm = target.client("acm", region)
    statuses = {"CertificateStatuses": ["ISSUED"]} if not target.embedded else {}
    for summary in acm.list_certificates(**statuses).get("CertificateSummaryList", []):
        if summary["DomainName"] == domain:
            return summary["CertificateArn"]
    if target.embedded:
        return acm.request_certificate(DomainName=domain)["CertificateArn"]
    raise HarnessError(f"no issued ACM certificate for {domain} in {region}; request and validate one first")


def _described(target: AwsTarget, spec: StackSpec) -> dict[str, Any]:
    return target.client("cloudformation", spec.region).describe_stacks(StackName=spec.name)["Stacks"][0]


def stack_resources(target: AwsTarget, region: str, stack_name: str) -> list[dict[str, str]]:
    paginator = target.client("cloudformation", region).get_paginator("list_stack_resources")
    rows = []
    for page in paginator.paginate(StackName=stack_name):
        for r in page["StackResourceSummaries"]:
            rows.append({"logical": r["LogicalResourceId"], "physical": r.get("PhysicalResourceId", ""),
                         "type": r["ResourceType"], "status": r.get("ResourceStatus", "")})
    return rows


def failing_resource(target: AwsTarget, spec: StackSpec, error: Exception | None) -> tuple[str, str]:
    """(logical id, reason) of the first resource that failed, from the stack events."""
    try:
        events = target.client("cloudformation", spec.region).describe_stack_events(StackName=spec.name)["StackEvents"]
    except botocore.exceptions.ClientError:
        events = []
    failed = [e for e in reversed(events) if e["ResourceStatus"].endswith("_FAILED") and e["LogicalResourceId"] != spec.name]
    if failed:
        return failed[0]["LogicalResourceId"], failed[0].get("ResourceStatusReason", "")
    if target.embedded:
        resource = failing_resource_in_emulator(target.account_ids.get(spec.region, ""), spec.region, spec.name)
        if resource:
            return resource, error_text(error) if error else "no reason given"
    return "unknown resource (no failure event)", error_text(error) if error else "no reason given"


def _delete_and_wait(target: AwsTarget, region: str, stack_name: str) -> str | None:
    """Delete a stack and wait; returns an error line or None."""
    cf = target.client("cloudformation", region)
    try:
        cf.delete_stack(StackName=stack_name)
        cf.get_waiter("stack_delete_complete").wait(StackName=stack_name, WaiterConfig=_waiter_config(target))
    except BOTO_ERRORS as error:
        if "does not exist" in str(error):
            return None
        return error_text(error)
    return None


def _create(target: AwsTarget, spec: StackSpec, parameters: list[dict[str, str]]) -> None:
    cf = target.client("cloudformation", spec.region)
    try:
        cf.create_stack(StackName=spec.name, TemplateBody=spec.body, Parameters=parameters,
                        Capabilities=CAPABILITIES, OnFailure="ROLLBACK",
                        Tags=[{"Key": "medzen:deployed-by", "Value": "medzen-harness"}])
        cf.get_waiter("stack_create_complete").wait(StackName=spec.name, WaiterConfig=_waiter_config(target))
    except BOTO_ERRORS as error:
        resource, reason = failing_resource(target, spec, error)
        leftover = _delete_and_wait(target, spec.region, spec.name) if stack_status(target, spec) else None
        removal = "partial stack removed" if leftover is None else f"removing the partial stack failed too: {leftover}"
        raise StackFailed(f"stack {spec.name} ({spec.region}) failed at resource {resource}: {reason}; {removal}") from error


def _update(target: AwsTarget, spec: StackSpec, parameters: list[dict[str, str]]) -> str:
    cf = target.client("cloudformation", spec.region)
    name = f"medzen-{int(time.time())}-{uuid.uuid4().hex[:6]}"
    try:
        change_set_id = cf.create_change_set(StackName=spec.name, ChangeSetName=name, TemplateBody=spec.body,
                                             Parameters=parameters, Capabilities=CAPABILITIES,
                                             ChangeSetType="UPDATE")["Id"]
        with contextlib.suppress(WaiterError):  # judged below from the change set itself
            cf.get_waiter("change_set_create_complete").wait(ChangeSetName=change_set_id, StackName=spec.name,
                                                             WaiterConfig=_waiter_config(target))
        change_set = cf.describe_change_set(ChangeSetName=change_set_id, StackName=spec.name)
        if change_set["Status"] == "FAILED":
            reason = change_set.get("StatusReason", "")
            cf.delete_change_set(ChangeSetName=change_set_id, StackName=spec.name)
            if any(marker in reason for marker in NO_CHANGES):
                return "unchanged"
            raise StackFailed(f"stack {spec.name} ({spec.region}): change set failed: {reason}")
        cf.execute_change_set(ChangeSetName=change_set_id, StackName=spec.name)
        cf.get_waiter("stack_update_complete").wait(StackName=spec.name, WaiterConfig=_waiter_config(target))
    except BOTO_ERRORS as error:
        resource, reason = failing_resource(target, spec, error)
        raise StackFailed(f"stack {spec.name} ({spec.region}) update failed at resource {resource}: {reason}") from error
    return "updated"


def deploy_stack(target: AwsTarget, spec: StackSpec, outputs: dict[str, dict[str, str]]) -> StackResult:
    started = time.monotonic()
    if not target.embedded and len(spec.body.encode()) > TEMPLATE_BODY_LIMIT:
        raise HarnessError(f"template {spec.template_label} is over {TEMPLATE_BODY_LIMIT} bytes; CloudFormation needs it in S3")
    parameters = resolve_parameters(target, spec, outputs)
    existing = stack_status(target, spec)
    if existing in ("ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS", "ROLLBACK_FAILED"):
        # a never-completed create cannot be updated: remove it and create again
        problem = _delete_and_wait(target, spec.region, spec.name)
        if problem:
            raise HarnessError(f"stack {spec.name} ({spec.region}) is {existing} and cannot be removed: {problem}")
        existing = None
    if existing and existing.endswith("_IN_PROGRESS"):
        raise HarnessError(f"stack {spec.name} ({spec.region}) is busy ({existing}); wait for it and retry")
    if existing is None:
        _create(target, spec, parameters)
        status = "created"
    else:
        status = _update(target, spec, parameters)
    stack = _described(target, spec)
    return StackResult(name=spec.name, template=spec.template_label, region=spec.region, status=status,
                       stack_id=stack["StackId"], stack_status=stack["StackStatus"],
                       outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []},
                       parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters") or []},
                       resources=stack_resources(target, spec.region, spec.name),
                       seconds=time.monotonic() - started)


def deploy_plan(target: AwsTarget, plan: StackPlan) -> list[StackResult]:
    """Every stack in order; on a failure the stacks this run created are removed again."""
    results: list[StackResult] = []
    outputs: dict[str, dict[str, str]] = {}
    try:
        for spec in plan.stacks:
            if target.embedded and spec.not_on_embedded:
                results.append(StackResult(spec.name, spec.template_label, spec.region, "skipped",
                                           reason=GAPS_BY_ID[spec.not_on_embedded].skip_reason))
                continue
            result = deploy_stack(target, spec, outputs)
            results.append(result)
            outputs[spec.id] = result.outputs
    except BaseException as error:
        created = {f"{r.name}@{r.region}" for r in results if r.status == "created"}
        report = teardown_plan(target, plan, only=created)
        if report.leftover and isinstance(error, HarnessError):
            raise HarnessError(f"{error}; cleaning up left {', '.join(report.leftover)}") from error
        raise
    return results


# ---- teardown ----------------------------------------------------------------------------

def _rds_instances(target: AwsTarget, region: str, resources: list[dict[str, str]]) -> Iterator[dict[str, Any]]:
    """The DB instances of a stack that still exist, as described by RDS."""
    rds = target.client("rds", region)
    for r in resources:
        if r["type"] != "AWS::RDS::DBInstance" or not r["physical"]:
            continue
        try:
            yield rds.describe_db_instances(DBInstanceIdentifier=r["physical"])["DBInstances"][0]
        except botocore.exceptions.ClientError:
            continue


def _embedded_pre_delete(target: AwsTarget, region: str, resources: list[dict[str, str]]) -> None:
    """Declared emulator workaround (emulator.GAPS teardown_cross_region_replica)."""
    for db in _rds_instances(target, region, resources):
        source = db.get("ReadReplicaSourceDBInstanceIdentifier") or ""
        if source.startswith("arn:") and source.split(":")[3] != region:
            target.client("rds", region).promote_read_replica(DBInstanceIdentifier=db["DBInstanceIdentifier"])


def _release_deletion_protection(target: AwsTarget, region: str, resources: list[dict[str, str]]) -> list[str]:
    """Teardown was asked for: lift RDS deletion protection so DeleteStack can remove the instance."""
    released = []
    for db in _rds_instances(target, region, resources):
        if db.get("DeletionProtection"):
            target.client("rds", region).modify_db_instance(
                DBInstanceIdentifier=db["DBInstanceIdentifier"], DeletionProtection=False, ApplyImmediately=True)
            released.append(db["DBInstanceIdentifier"])
    return released


RETAIN_POLICIES = ("Retain", "RetainExceptOnUpdate")


def _deletion_policy(spec: StackSpec, logical: str) -> str:
    resource = (spec.template_dict.get("Resources") or {}).get(logical) or {}
    return str(resource.get("DeletionPolicy", "Delete"))


def teardown_plan(target: AwsTarget, plan: StackPlan, only: set[str] | None = None,
                  purge_retained: bool | None = None) -> TeardownReport:
    """Delete the plan's stacks in reverse order and verify by listing that nothing is left.

    Resources with DeletionPolicy Retain are kept by CloudFormation on purpose: they are
    listed under `retained` and deleted through their own API only with `purge_retained`
    (default: on the embedded target, off on a real account).
    """
    started = time.monotonic()
    purge = target.embedded if purge_retained is None else purge_retained
    report = TeardownReport(performed=True)
    for spec in reversed(plan.unique_stacks):
        if only is not None and spec.id not in only:
            continue
        if stack_status(target, spec) is None:
            continue
        resources = stack_resources(target, spec.region, spec.name)
        _release_deletion_protection(target, spec.region, resources)
        if target.embedded:
            _embedded_pre_delete(target, spec.region, resources)
        problem = _delete_and_wait(target, spec.region, spec.name)
        if stack_status(target, spec) is not None:
            report.leftover.append(f"stack {spec.name} ({spec.region})" + (f": {problem}" if problem else ""))
        report.stacks.append({"name": spec.name, "region": spec.region, "deleted": "yes" if problem is None else f"with error: {problem}"})
        for r in resources:
            label = f"{r['type']} {r['physical']} ({spec.region}, stack {spec.name})"
            exists = inventory.resource_exists(target, spec.region, r["type"], r["physical"])
            if exists is None:
                report.unchecked.append(r["type"])
                continue
            if not exists:
                continue
            if _deletion_policy(spec, r["logical"]) in RETAIN_POLICIES:
                report.retained.append(label)
                if not purge or r["type"] not in inventory.PURGE_RETAINED:
                    continue
                inventory.PURGE_RETAINED[r["type"]](target, spec.region, r["physical"])
                report.purged.append(label)
            elif target.embedded and r["type"] in inventory.KEPT_BY_EMULATOR:
                # declared emulator workaround (emulator.GAPS teardown_kept_after_stack_delete)
                inventory.KEPT_BY_EMULATOR[r["type"]](target, spec.region, r["physical"])
                report.swept.append(label)
            if inventory.resource_exists(target, spec.region, r["type"], r["physical"]):
                report.leftover.append(label)
    report.unchecked = sorted(set(report.unchecked) - {""})
    report.seconds = time.monotonic() - started
    return report
