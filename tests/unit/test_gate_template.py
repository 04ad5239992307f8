"""Static evaluation of template values (what the gate may judge, and what stays unresolved)."""

import pytest

from medzen_harness.compliance.template import ResourceRef, Unresolved, load_template
from medzen_harness.errors import HarnessError

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: prod
  NoDefault:
    Type: String
Resources:
  Key:
    Type: AWS::KMS::Key
  Alias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: alias/medzen
      TargetKeyId: !Ref Key
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub medzen-${Env}-${AWS::Region}
      DisplayName: !Sub medzen-${NoDefault}
"""


@pytest.fixture()
def template(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE)
    return load_template(path)


def test_ref_to_parameter_is_its_default(template):
    assert template.resolve({"Ref": "Env"}) == "prod"


def test_ref_to_parameter_without_default_is_unresolved(template):
    value = template.resolve({"Ref": "NoDefault"})
    assert isinstance(value, Unresolved) and "NoDefault" in value.reason and "Default" in value.reason


def test_ref_and_getatt_to_resources_are_references(template):
    assert template.resolve({"Ref": "Key"}) == ResourceRef("Key", "AWS::KMS::Key")
    assert template.resolve({"Fn::GetAtt": ["Key", "Arn"]}) == ResourceRef("Key", "AWS::KMS::Key", "Arn")
    assert template.resolve({"Fn::GetAtt": "Alias.AliasName"}).resource_type == "AWS::KMS::Alias"


def test_sub_expands_parameters_and_keeps_pseudo_parameters(template):
    props = template.properties("Topic")
    assert template.resolve(props["TopicName"]) == "medzen-prod-${AWS::Region}"
    assert isinstance(template.resolve(props["DisplayName"]), Unresolved)


@pytest.mark.parametrize("value", [{"Fn::ImportValue": "x"}, {"Fn::If": ["C", "a", "b"]},
                                   {"Fn::Join": ["", ["a", {"Ref": "AWS::Region"}]]},
                                   {"Ref": "AWS::AccountId"}, {"Ref": "Missing"}])
def test_values_known_only_at_deploy_time_are_unresolved(template, value):
    assert isinstance(template.resolve(value), Unresolved)


@pytest.mark.parametrize(("value", "expected"), [
    ({"Fn::GetAtt": ["Key", "Arn"]}, True),
    ({"Ref": "Alias"}, True),
    ("alias/medzen-phi", True),
    ("arn:aws:kms:af-south-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", True),
    ("alias/aws/s3", False),
    ("arn:aws:kms:af-south-1:111122223333:alias/aws/rds", False),
    ({"Ref": "Topic"}, None),
    ({"Fn::ImportValue": "key"}, None),
])
def test_customer_managed_key_detection(template, value, expected):
    assert template.kms_key(value)[0] is expected


def test_resource_lines_and_excerpt(template):
    start, end = template.resource_lines("Alias")
    assert (start, end) == (11, 15)
    assert "alias/medzen" in template.excerpt("Alias")


@pytest.mark.parametrize(("name", "text", "words"), [
    ("empty.yaml", "", "is empty"),
    ("bad.yaml", "Resources:\n  A: [unclosed\n", "cannot be parsed"),
    ("compose.yaml", "services:\n  web:\n    image: nginx\n", "not a CloudFormation template"),
    ("list.yaml", "- a\n- b\n", "not a CloudFormation template"),
])
def test_unusable_templates_raise_one_line_harness_errors(tmp_path, name, text, words):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(HarnessError) as error:
        load_template(path)
    assert words in str(error.value) and "\n" not in str(error.value)


def test_missing_template(tmp_path):
    with pytest.raises(HarnessError, match="does not exist"):
        load_template(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("branches", "expected"), [
    ([{"Fn::GetAtt": ["Key", "Arn"]}, {"Ref": "Alias"}], True),
    ([{"Fn::GetAtt": ["Key", "Arn"]}, "alias/aws/logs"], False),
    ([{"Fn::GetAtt": ["Key", "Arn"]}, {"Ref": "AWS::NoValue"}], False),
    ([{"Fn::GetAtt": ["Key", "Arn"]}, {"Fn::ImportValue": "k"}], None),
])
def test_conditional_kms_key_is_judged_in_every_deploy_mode(template, branches, expected):
    assert template.kms_key({"Fn::If": ["IsPrimary", *branches]})[0] is expected
