@epic:Latency @feature:Latency_from_African_vantage_points @slow
Feature: Latency from African vantage points
  MedZen promises its African users a 95th-percentile latency under 150 ms. Users are
  measured per city ("vantage point") with Locust: one worker per city, in normal routing
  (EHRbase served from af-south-1, Cape Town) and in DR routing (af-south-1 failed, the
  read replica in eu-west-1, Dublin, promoted and serving).

  In the embedded lab the vantage points are EMULATED: every worker runs on the test machine
  and reaches each region through a fault proxy adding that city's published (or derived)
  round-trip time from load/vantage_points.yaml. The 60-second runs below are shortened in CI
  with MEDZEN_LATENCY_DURATION; the Allure report shows the seconds actually run.

  Examples tagged @expected_miss are cities whose round trip alone is above the target: they
  are run and must miss (reported as expected failures; if one ever meets the target, the
  scenario fails so the table gets corrected). @borderline cities are within 20 ms of the
  target, where the verdict depends on the service's own time: reported either way.

  @severity:critical @story:normal_routing
  Scenario Outline: Users in <city> in normal routing
    Given users in <city>
    When they use MedZen for 60 seconds in normal routing
    Then the 95th percentile latency is under 150 ms

    Examples: Southern and East Africa reach Cape Town directly
      | city          |
      | Kigali        |
      | Nairobi       |
      | Dar es Salaam |
      | Johannesburg  |
      | Cape Town     |

    @expected_miss
    Examples: West, Central and North Africa reach Cape Town through Europe
      | city    |
      | Douala  |
      | Yaoundé |
      | Lagos   |
      | Kano    |
      | Accra   |
      | Bangui  |
      | Cairo   |

  @severity:critical @story:dr_routing
  Scenario Outline: Users in <city> in DR routing
    Given users in <city>
    When they use MedZen for 60 seconds in DR routing
    Then the 95th percentile latency is under 150 ms

    Examples: West and North Africa are closer to Dublin
      | city    |
      | Douala  |
      | Yaoundé |
      | Lagos   |
      | Kano    |
      | Accra   |
      | Cairo   |

    @borderline
    Examples: Central Africa is within 20 ms of the target from Dublin
      | city   |
      | Bangui |

    @expected_miss
    Examples: Southern and East Africa are 165-175 ms from Dublin
      | city          |
      | Kigali        |
      | Nairobi       |
      | Dar es Salaam |
      | Johannesburg  |
      | Cape Town     |

  @severity:normal @story:summary
  Scenario: The report compares every vantage point in normal and DR routing
    Given the latency of every vantage point in normal and DR routing
    Then the report shows the 95th percentile per vantage point against 150 ms
    And it lists the vantage points that miss the target in each routing
