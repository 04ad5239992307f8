"""Targets against the moto server: the embedded target, and the real-account code paths
(profiles, assume-role, account allow-list) with the aws target's endpoint pointed at moto."""

import socket

import pytest

from medzen_harness.aws.embedded import EMBEDDED_ACCOUNT_ID, EmbeddedAws
from medzen_harness.aws.targets import ENDPOINT_OVERRIDE_ENV, open_target, reset_emulator
from medzen_harness.config import load_config
from medzen_harness.errors import HarnessError

pytestmark = pytest.mark.moto


@pytest.fixture
def moto_endpoint(monkeypatch):
    with EmbeddedAws() as server:
        reset_emulator(server.endpoint_url)
        monkeypatch.setenv(ENDPOINT_OVERRIDE_ENV, server.endpoint_url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        yield server.endpoint_url


def aws_config(**aws):
    config = load_config(None)
    config["aws"].update(target="aws", **aws)
    return config


def test_embedded_target_reaches_every_region_and_stops_the_server():
    with open_target(load_config(None), "embedded") as target:
        assert set(target.regions) == {"af-south-1", "eu-west-1", "us-east-1"}
        assert set(target.account_ids.values()) == {EMBEDDED_ACCOUNT_ID}
        port = int(target.endpoint_url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # free again: the server was stopped


def test_embedded_target_does_not_retry_a_500():
    with open_target(load_config(None), "embedded") as target:
        cf = target.client("cloudformation", "eu-west-1")
        sent = []
        cf.meta.events.register("before-send.cloudformation.*", lambda **kw: sent.append(1))
        # moto answers HTTP 500 for a KMS key with CloudFormation-style Tags
        body = ('{"Resources": {"K": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": "{}", '
                '"Tags": [{"Key": "a", "Value": "b"}]}}}}')
        with pytest.raises(Exception, match="500|Internal"):
            cf.create_stack(StackName="boom", TemplateBody=body)
        assert len(sent) == 1


def test_aws_target_accepts_an_allow_listed_account(moto_endpoint):
    with open_target(aws_config(allowed_account_ids=[EMBEDDED_ACCOUNT_ID]), "aws") as target:
        assert target.kind == "aws" and not target.embedded
        assert set(target.account_ids.values()) == {EMBEDDED_ACCOUNT_ID}
        assert target.client("sts", "af-south-1").get_caller_identity()["Account"] == EMBEDDED_ACCOUNT_ID


def test_aws_target_refuses_an_account_not_on_the_allow_list(moto_endpoint):
    with pytest.raises(HarnessError, match=f"refused.*account {EMBEDDED_ACCOUNT_ID}.*not in aws.allowed_account_ids"), \
            open_target(aws_config(allowed_account_ids=["210987654321"]), "aws"):
        pass


def test_aws_target_refuses_an_empty_allow_list(moto_endpoint):
    with pytest.raises(HarnessError, match="allowed_account_ids is empty"), open_target(aws_config(), "aws"):
        pass


def test_aws_target_assumes_the_role_of_each_region_and_checks_its_account(moto_endpoint):
    roles = {r: "arn:aws:iam::111122223333:role/medzen-deployer" for r in ("af-south-1", "eu-west-1", "us-east-1")}
    with open_target(aws_config(allowed_account_ids=["111122223333"], role_arns=roles), "aws") as target:
        assert set(target.account_ids.values()) == {"111122223333"}
    with pytest.raises(HarnessError, match="account 111122223333, which is not in"), \
            open_target(aws_config(allowed_account_ids=[EMBEDDED_ACCOUNT_ID], role_arns=roles), "aws"):
        pass


def test_aws_target_uses_the_named_profile_of_each_region(moto_endpoint, tmp_path, monkeypatch):
    credentials = tmp_path / "credentials"
    credentials.write_text("[medzen-cpt]\naws_access_key_id = cpt\naws_secret_access_key = cpt\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    profiles = {"af-south-1": "medzen-cpt", "eu-west-1": None, "us-east-1": None}
    with open_target(aws_config(allowed_account_ids=[EMBEDDED_ACCOUNT_ID], profiles=profiles), "aws") as target:
        used = target.sessions["af-south-1"].get_credentials().access_key
        assert used == "cpt"
    profiles["af-south-1"] = "no-such-profile"
    with pytest.raises(HarnessError, match="profile 'no-such-profile'.*is not configured"), \
            open_target(aws_config(allowed_account_ids=[EMBEDDED_ACCOUNT_ID], profiles=profiles), "aws"):
        pass


def test_aws_target_with_an_unreachable_endpoint_is_a_clear_error(monkeypatch):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        closed_port = holder.getsockname()[1]
    monkeypatch.setenv(ENDPOINT_OVERRIDE_ENV, f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(HarnessError, match="unreachable"), \
            open_target(aws_config(allowed_account_ids=[EMBEDDED_ACCOUNT_ID]), "aws"):
        pass


def test_unknown_target_is_refused():
    with pytest.raises(HarnessError, match="unknown target 'gcp'"), open_target(load_config(None), "gcp"):
        pass

