"""AWS implementations of the faults and the runbook: small plain functions that take boto3
clients (chaostoolkit-aws style). `fis` (experiments), `actions` (runbook and fault calls),
`probes` (state reads and bounded waits), `api_fault_proxy` (per-region 503s in front of the
embedded AWS), `emulation` (what the embedded AWS does not emulate)."""
