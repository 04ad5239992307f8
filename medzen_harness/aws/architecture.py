"""The architecture's facts the live checks compare against (from the architecture document)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SecurityGroupRule:
    tier: str  # alb | ecs | rds
    ports: tuple[int, ...]
    source_label: str  # anywhere | alb | ecs

    def describe(self) -> str:
        source = "anywhere (0.0.0.0/0)" if self.source_label == "anywhere" else f"the {self.source_label.upper()} security group"
        return f"{self.tier.upper()}: tcp {'/'.join(map(str, self.ports))} from {source} only"


# ALB 80/443 from anywhere, ECS 8080 from ALB-SG, RDS 5432 from ECS-SG.
SECURITY_GROUP_RULES = (
    SecurityGroupRule("alb", (80, 443), "anywhere"),
    SecurityGroupRule("ecs", (8080,), "alb"),
    SecurityGroupRule("rds", (5432,), "ecs"),
)

# ELB security policies that allow TLS 1.2 and newer only.
TLS12_ELB_POLICIES = frozenset({
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
})

HEALTH_CHECK_PATH = "/ehrbase/rest/status"
LOG_RETENTION_DAYS = (30, 90)  # log groups keep 30-90 days
SEVEN_YEARS_DAYS = 2555  # HIPAA retention of recordings, transcripts, entities, audit log


def markdown_table() -> str:
    rows = ["| tier | ingress allowed | from |", "|---|---|---|"]
    rows += [f"| {r.tier.upper()} | tcp {'/'.join(map(str, r.ports))} | {r.source_label} |" for r in SECURITY_GROUP_RULES]
    return "\n".join(rows) + "\n"
