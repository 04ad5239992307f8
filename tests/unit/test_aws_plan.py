"""The stack plan is validated before anything is deployed."""

import pytest
import yaml

from medzen_harness.aws.plan import load_plan
from medzen_harness.errors import HarnessError

TOPIC = "tests/fixtures/deploy/topic.yaml"


def write_plan(tmp_path, stacks):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({"stacks": stacks}))
    return path


def test_the_medzen_plan_follows_the_architecture_order():
    plan = load_plan(None)
    order = [(s.name, s.region) for s in plan.stacks]
    assert order[:3] == [("medzen-global", "us-east-1"), ("medzen-ehrbase", "af-south-1"), ("medzen-ehrbase", "eu-west-1")]
    assert [r for n, r in order if n == "medzen-bedrock-ai"] == ["eu-west-1", "us-east-1", "af-south-1"]
    assert [r for n, r in order if n == "medzen-chime-sdk"] == ["eu-west-1", "af-south-1"]
    assert plan.stacks[-1].redeploy and plan.stacks[-1].id == "medzen-global@us-east-1"
    assert plan.stack("medzen-ehrbase@eu-west-1").expect["replica_of"] == "medzen-ehrbase@af-south-1"


def test_the_fixture_plan_loads(fixture_plan_path):
    assert len(load_plan(fixture_plan_path).unique_stacks) == 8


@pytest.mark.parametrize(
    ("stacks", "message"),
    [
        ([{"name": "a", "template": "tests/fixtures/deploy/nope.yaml", "region": "eu-west-1"}], "not found"),
        ([{"name": "a", "template": "tests/fixtures/deploy/invalid.yaml", "region": "eu-west-1"}], "cannot be parsed"),
        ([{"name": "a", "template": TOPIC, "region": "mars-north-1"}], "unknown region of stack a 'mars-north-1'"),
        ([{"name": "a", "template": TOPIC, "region": "eu-west-1", "parameters": {"Colour": "red"}}], "'Colour' is not declared"),
        ([{"name": "a", "template": "tests/fixtures/deploy/ehrbase.yaml", "region": "eu-west-1"}], "required parameter(s) DeploymentRole"),
        ([{"name": "a", "template": TOPIC, "region": "eu-west-1", "parameters": {"DisplayName": {"output": "b@eu-west-1.TopicArn"}}},
          {"name": "b", "template": TOPIC, "region": "eu-west-1"}], "not deployed before it"),
        ([{"name": "a", "template": TOPIC, "region": "eu-west-1"}, {"name": "a", "template": TOPIC, "region": "eu-west-1"}], "appears twice"),
        ([{"name": "a", "template": TOPIC, "region": "eu-west-1", "redeploy": True}], "not deployed earlier"),
        ([{"name": "a", "template": TOPIC}], "needs name, template and region"),
    ],
)
def test_bad_plans_are_one_readable_error(tmp_path, stacks, message):
    with pytest.raises(HarnessError) as error:
        load_plan(write_plan(tmp_path, stacks))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_plan_file_is_an_error(tmp_path):
    with pytest.raises(HarnessError, match="not found"):
        load_plan(tmp_path / "absent.yaml")


def test_conditions_are_evaluated_from_the_stack_parameters():
    from medzen_harness import REPO_ROOT
    from medzen_harness.aws.plan import condition_holds, parse_template
    template = parse_template(REPO_ROOT / "cloudformation" / "chime-sdk-multi-region.yaml")
    assert condition_holds(template, "Replicate", {"ReplicaRegion": "eu-west-1"}) is True
    assert condition_holds(template, "Replicate", {"ReplicaRegion": ""}) is False
    assert condition_holds(template, "Replicate", {}) is False  # the parameter's default
    assert condition_holds({"Conditions": {"C": {"Fn::Equals": [{"Fn::GetAtt": ["X", "Y"]}, "a"]}}}, "C", {}) is None
