import socket

import boto3
import pytest

from medzen_harness.aws.embedded import EMBEDDED_CREDENTIALS, EmbeddedAws
from medzen_harness.errors import HarnessError


def test_moto_server_serves_regions_separately_over_http():
    with EmbeddedAws() as aws:
        assert aws.endpoint_url.startswith("http://127.0.0.1:")
        clients = {r: boto3.client("sns", region_name=r, endpoint_url=aws.endpoint_url, **EMBEDDED_CREDENTIALS)
                   for r in ("af-south-1", "eu-west-1")}
        clients["af-south-1"].create_topic(Name="medzen-alarms")
        assert len(clients["af-south-1"].list_topics()["Topics"]) == 1
        assert clients["eu-west-1"].list_topics()["Topics"] == []
        port = aws.port
    with socket.socket() as probe:  # stopped: the port is free again
        probe.bind(("127.0.0.1", port))


def test_port_taken_is_a_clear_error():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        with pytest.raises(HarnessError, match="already taken"):
            EmbeddedAws(holder.getsockname()[1]).start()
