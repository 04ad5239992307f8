"""The embedded regional lab: PostgreSQL primary/standby, EHR API stand-ins, HAProxy, fault proxy."""
