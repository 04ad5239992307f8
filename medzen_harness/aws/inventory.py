"""Does a resource still exist? Asked of each service's own API (describe/list calls), so
that teardown is verified by listing, not by trusting the delete call.

One small function per CloudFormation resource type: `(target, region, physical_id) -> bool`.
Types without a function are reported as `unchecked` by the teardown, never as gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions

ExistsFn = Callable[[Any, str, str], bool]


def _not_found(error: botocore.exceptions.ClientError, *codes: str) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return code in codes or "NotFound" in code or "does not exist" in str(error) or "not found" in str(error).lower()


def bucket_exists(target: Any, region: str, name: str) -> bool:
    return any(b["Name"] == name for b in target.client("s3", region).list_buckets().get("Buckets", []))


def db_instance_exists(target: Any, region: str, identifier: str) -> bool:
    try:
        target.client("rds", region).describe_db_instances(DBInstanceIdentifier=identifier)
    except botocore.exceptions.ClientError as error:
        if _not_found(error, "DBInstanceNotFound", "DBInstanceNotFoundFault"):
            return False
        raise
    return True


def log_group_exists(target: Any, region: str, name: str) -> bool:
    groups = target.client("logs", region).describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
    return any(g["logGroupName"] == name for g in groups)


def ecs_cluster_exists(target: Any, region: str, cluster: str) -> bool:
    found = target.client("ecs", region).describe_clusters(clusters=[cluster]).get("clusters", [])
    return any(c.get("status") == "ACTIVE" for c in found)


def ecs_service_exists(target: Any, region: str, arn: str) -> bool:
    parts = arn.split("/")
    if len(parts) < 3:
        return False
    found = target.client("ecs", region).describe_services(cluster=parts[-2], services=[arn]).get("services", [])
    return any(s.get("status") == "ACTIVE" for s in found)


def task_definition_exists(target: Any, region: str, arn: str) -> bool:
    try:
        definition = target.client("ecs", region).describe_task_definition(taskDefinition=arn)["taskDefinition"]
    except botocore.exceptions.ClientError as error:
        if _not_found(error, "ClientException"):
            return False
        raise
    return definition.get("status") == "ACTIVE"


def load_balancer_exists(target: Any, region: str, arn: str) -> bool:
    lbs = target.client("elbv2", region).describe_load_balancers().get("LoadBalancers", [])
    return any(lb["LoadBalancerArn"] == arn for lb in lbs)


def vpc_exists(target: Any, region: str, vpc_id: str) -> bool:
    return any(v["VpcId"] == vpc_id for v in target.client("ec2", region).describe_vpcs().get("Vpcs", []))


def security_group_exists(target: Any, region: str, group_id: str) -> bool:
    groups = target.client("ec2", region).describe_security_groups().get("SecurityGroups", [])
    return any(g["GroupId"] == group_id for g in groups)


def subnet_exists(target: Any, region: str, subnet_id: str) -> bool:
    return any(x["SubnetId"] == subnet_id for x in target.client("ec2", region).describe_subnets().get("Subnets", []))


def target_group_exists(target: Any, region: str, arn: str) -> bool:
    groups = target.client("elbv2", region).describe_target_groups().get("TargetGroups", [])
    return any(g["TargetGroupArn"] == arn for g in groups)


def iam_role_exists(target: Any, region: str, name: str) -> bool:
    try:
        target.client("iam", region).get_role(RoleName=name.split("/")[-1])
    except botocore.exceptions.ClientError as error:
        if _not_found(error, "NoSuchEntity"):
            return False
        raise
    return True


def nat_gateway_exists(target: Any, region: str, nat_id: str) -> bool:
    gateways = target.client("ec2", region).describe_nat_gateways().get("NatGateways", [])
    return any(g["NatGatewayId"] == nat_id and g.get("State") not in ("deleted", "deleting") for g in gateways)


def internet_gateway_exists(target: Any, region: str, igw_id: str) -> bool:
    gateways = target.client("ec2", region).describe_internet_gateways().get("InternetGateways", [])
    return any(g["InternetGatewayId"] == igw_id for g in gateways)


def elastic_ip_exists(target: Any, region: str, ip_or_allocation: str) -> bool:
    addresses = target.client("ec2", region).describe_addresses().get("Addresses", [])
    return any(ip_or_allocation in (a.get("PublicIp"), a.get("AllocationId")) for a in addresses)


def kms_key_exists(target: Any, region: str, key_id: str) -> bool:
    try:
        state = target.client("kms", region).describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]
    except botocore.exceptions.ClientError as error:
        if _not_found(error, "NotFoundException"):
            return False
        raise
    return state not in ("PendingDeletion", "PendingReplicaDeletion")


def dynamodb_table_exists(target: Any, region: str, name: str) -> bool:
    return name in target.client("dynamodb", region).list_tables().get("TableNames", [])


def sns_topic_exists(target: Any, region: str, arn: str) -> bool:
    return any(t["TopicArn"] == arn for t in target.client("sns", region).list_topics().get("Topics", []))


def sqs_queue_exists(target: Any, region: str, url: str) -> bool:
    return url in target.client("sqs", region).list_queues().get("QueueUrls", [])


def lambda_function_exists(target: Any, region: str, name: str) -> bool:
    functions = target.client("lambda", region).list_functions().get("Functions", [])
    return any(f["FunctionName"] == name or f["FunctionArn"] == name for f in functions)


def hosted_zone_exists(target: Any, region: str, zone_id: str) -> bool:
    zones = target.client("route53", region).list_hosted_zones().get("HostedZones", [])
    return any(z["Id"].split("/")[-1] == zone_id.split("/")[-1] for z in zones)


def health_check_exists(target: Any, region: str, check_id: str) -> bool:
    checks = target.client("route53", region).list_health_checks().get("HealthChecks", [])
    return any(c["Id"] == check_id for c in checks)


def rest_api_exists(target: Any, region: str, api_id: str) -> bool:
    return any(a["id"] == api_id for a in target.client("apigateway", region).get_rest_apis().get("items", []))


EXISTS: dict[str, ExistsFn] = {
    "AWS::S3::Bucket": bucket_exists,
    "AWS::RDS::DBInstance": db_instance_exists,
    "AWS::Logs::LogGroup": log_group_exists,
    "AWS::ECS::Cluster": ecs_cluster_exists,
    "AWS::ECS::Service": ecs_service_exists,
    "AWS::ECS::TaskDefinition": task_definition_exists,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": load_balancer_exists,
    "AWS::EC2::VPC": vpc_exists,
    "AWS::EC2::SecurityGroup": security_group_exists,
    "AWS::EC2::Subnet": subnet_exists,
    "AWS::EC2::NatGateway": nat_gateway_exists,
    "AWS::EC2::InternetGateway": internet_gateway_exists,
    "AWS::EC2::EIP": elastic_ip_exists,
    "AWS::ElasticLoadBalancingV2::TargetGroup": target_group_exists,
    "AWS::IAM::Role": iam_role_exists,
    "AWS::KMS::Key": kms_key_exists,
    "AWS::DynamoDB::Table": dynamodb_table_exists,
    "AWS::SNS::Topic": sns_topic_exists,
    "AWS::SQS::Queue": sqs_queue_exists,
    "AWS::Lambda::Function": lambda_function_exists,
    "AWS::Route53::HostedZone": hosted_zone_exists,
    "AWS::Route53::HealthCheck": health_check_exists,
    "AWS::ApiGateway::RestApi": rest_api_exists,
}


def resource_exists(target: Any, region: str, resource_type: str, physical_id: str) -> bool | None:
    """True/False from the service API; None when the type has no existence check here."""
    check = EXISTS.get(resource_type)
    if check is None or not physical_id:
        return None
    return check(target, region, physical_id)


# ---- direct deletes, used on the embedded target only for types moto keeps after their
# stack is deleted (emulator.GAPS teardown_kept_after_stack_delete) --------------------------

def delete_ecs_cluster(target: Any, region: str, cluster: str) -> None:
    ecs = target.client("ecs", region)
    for arn in ecs.list_services(cluster=cluster).get("serviceArns", []):
        ecs.delete_service(cluster=cluster, service=arn, force=True)
    ecs.delete_cluster(cluster=cluster)


def delete_ecs_service(target: Any, region: str, arn: str) -> None:
    target.client("ecs", region).delete_service(cluster=arn.split("/")[-2], service=arn, force=True)


def deregister_task_definition(target: Any, region: str, arn: str) -> None:
    target.client("ecs", region).deregister_task_definition(taskDefinition=arn)


def delete_health_check(target: Any, region: str, check_id: str) -> None:
    target.client("route53", region).delete_health_check(HealthCheckId=check_id)


def delete_hosted_zone(target: Any, region: str, zone_id: str) -> None:
    route53 = target.client("route53", region)
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    changes = [{"Action": "DELETE", "ResourceRecordSet": r} for r in records if r["Type"] not in ("NS", "SOA")]
    if changes:
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    route53.delete_hosted_zone(Id=zone_id)


def delete_target_group(target: Any, region: str, arn: str) -> None:
    target.client("elbv2", region).delete_target_group(TargetGroupArn=arn)


def delete_nat_gateway(target: Any, region: str, nat_id: str) -> None:
    target.client("ec2", region).delete_nat_gateway(NatGatewayId=nat_id)


def delete_internet_gateway(target: Any, region: str, igw_id: str) -> None:
    ec2 = target.client("ec2", region)
    for gateway in ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"]:
        for attachment in gateway.get("Attachments", []):
            ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=attachment["VpcId"])
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)


def release_elastic_ip(target: Any, region: str, ip_or_allocation: str) -> None:
    ec2 = target.client("ec2", region)
    for address in ec2.describe_addresses()["Addresses"]:
        if ip_or_allocation in (address.get("PublicIp"), address.get("AllocationId")):
            ec2.release_address(AllocationId=address["AllocationId"])


def delete_vpc_with_dependencies(target: Any, region: str, vpc_id: str) -> None:
    """moto leaves NAT gateways and IGW attachments behind, so the VPC's deletion fails."""
    ec2 = target.client("ec2", region)
    by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    for nat in ec2.describe_nat_gateways(Filters=by_vpc)["NatGateways"]:
        ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    for gateway in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]:
        delete_internet_gateway(target, region, gateway["InternetGatewayId"])
    for interface in ec2.describe_network_interfaces(Filters=by_vpc)["NetworkInterfaces"]:
        ec2.delete_network_interface(NetworkInterfaceId=interface["NetworkInterfaceId"])
    for subnet in ec2.describe_subnets(Filters=by_vpc)["Subnets"]:
        ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    for table in ec2.describe_route_tables(Filters=by_vpc)["RouteTables"]:
        if not any(a.get("Main") for a in table.get("Associations", [])):
            ec2.delete_route_table(RouteTableId=table["RouteTableId"])
    for group in ec2.describe_security_groups(Filters=by_vpc)["SecurityGroups"]:
        if group["GroupName"] != "default":
            ec2.delete_security_group(GroupId=group["GroupId"])
    ec2.delete_vpc(VpcId=vpc_id)


def delete_rest_api(target: Any, region: str, api_id: str) -> None:
    target.client("apigateway", region).delete_rest_api(restApiId=api_id)


KEPT_BY_EMULATOR: dict[str, Callable[[Any, str, str], None]] = {
    "AWS::EC2::NatGateway": delete_nat_gateway,
    "AWS::EC2::InternetGateway": delete_internet_gateway,
    "AWS::EC2::EIP": release_elastic_ip,
    "AWS::EC2::VPC": delete_vpc_with_dependencies,
    "AWS::ApiGateway::RestApi": delete_rest_api,
    "AWS::ElasticLoadBalancingV2::TargetGroup": delete_target_group,
    "AWS::ECS::Service": delete_ecs_service,
    "AWS::ECS::Cluster": delete_ecs_cluster,
    "AWS::ECS::TaskDefinition": deregister_task_definition,
    "AWS::Route53::HealthCheck": delete_health_check,
    "AWS::Route53::HostedZone": delete_hosted_zone,
}


# ---- resources a template keeps on purpose (DeletionPolicy Retain), purged only when asked -----

def purge_bucket(target: Any, region: str, bucket: str) -> None:
    s3 = target.client("s3", region)
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if doomed:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
    s3.delete_bucket(Bucket=bucket)


def delete_log_group(target: Any, region: str, name: str) -> None:
    target.client("logs", region).delete_log_group(logGroupName=name)


def delete_table(target: Any, region: str, name: str) -> None:
    target.client("dynamodb", region).delete_table(TableName=name)


PURGE_RETAINED: dict[str, Callable[[Any, str, str], None]] = {
    "AWS::S3::Bucket": purge_bucket,
    "AWS::Logs::LogGroup": delete_log_group,
    "AWS::DynamoDB::Table": delete_table,
}
