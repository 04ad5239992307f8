@epic:Resilience @feature:Failover @hipaa:164.308(a)(7)(ii)(B) @hipaa:164.308(a)(7)(ii)(C)
Feature: Regional failover of the EHR service within RTO 15 minutes and RPO 5 minutes
  As the auditor of MedZen's contingency plan
  I want regional failures injected into a lab with real database replication and real routing
  So that recovery time and lost data are measured from client writes, not estimated

  The lab runs two regions on one machine: a PostgreSQL primary (af-south-1) streaming to a
  standby (eu-west-1) through a fault proxy, an EHR API per region and an HAProxy global
  endpoint with health checks standing in for Route 53 failover routing. A canary writes an
  EHR every 50 ms through the global endpoint; after the drill the recovered primary is
  asked which acknowledged writes survived.

  @severity:critical @story:region-outage
  Scenario: af-south-1 suffers a regional outage while replication lags by 2 seconds
    Given the lab is in steady state
    And replication lags by 2 seconds
    When af-south-1 suffers a regional outage
    Then EHR writes succeed through the global endpoint within 15 minutes
    And at most 5 minutes of acknowledged writes are lost
    And the data lost matches the replication lag of 2 seconds
    And the lab is restored to steady state

  @severity:critical @story:fault-catalogue
  Scenario Outline: fault "<fault>" in <region> is drilled and judged
    Given the lab is in steady state
    When the fault "<fault>" hits <region>
    Then the drill verdict is "<verdict>"
    And the lab is restored to steady state

    Examples:
      | fault             | region     | verdict |
      | api-errors        | af-south-1 | met     |
      | db-crash          | af-south-1 | met     |
      | latency           | af-south-1 | met     |
      | network-partition | af-south-1 | met     |
      | region-outage     | af-south-1 | met     |
      | replication-lag   | af-south-1 | met     |
