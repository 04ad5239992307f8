"""Failover drills: probes, runbook, RTO/RPO measurement, verdicts."""
