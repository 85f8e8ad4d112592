"""A/B test evidence: a winner only with enough sends and a significant difference.

The metric is the response rate (responded / sent) of each variant. The variant with the
highest rate wins only if
- every variant of the campaign was sent to at least `ab_min_sends_per_variant` members;
- for each comparison, both variants expect at least `ab_min_expected_responses`
  responses and non-responses at the pooled rate (the success-failure condition under
  which the normal approximation holds);
- a two-sided two-proportion z-test (pooled standard error) rejects "same rate" against
  every other variant at `ab_confidence`, Bonferroni-corrected for the number of
  comparisons (alpha / (k - 1) with k variants).
Otherwise there is no winner. Source: OpenIntro Statistics, 4th ed., section 6.2
("Difference of two proportions": pooled proportion, success-failure condition);
docs/rules.md, "Campaigns".

Floating point is used only for the yes/no decision (IEEE arithmetic and the standard
library's `statistics.NormalDist`), so the same counts always give the same answer."""

from __future__ import annotations

from collections.abc import Sequence
from math import sqrt
from statistics import NormalDist
from typing import Protocol, TypeVar

from domain.rules_config import CampaignRules


class Arm(Protocol):
    """What the test reads of a variant."""

    @property
    def variant_code(self) -> str: ...  # noqa: D102

    @property
    def members_sent(self) -> int: ...  # noqa: D102

    @property
    def responded(self) -> int: ...  # noqa: D102


V = TypeVar("V", bound=Arm)


def z_score(responded_a: int, sent_a: int, responded_b: int, sent_b: int) -> float | None:
    """Two-proportion z statistic of rate a minus rate b (pooled); None without variance."""
    pooled = (responded_a + responded_b) / (sent_a + sent_b)
    if pooled in (0.0, 1.0):  # nobody or everybody responded: no difference to test
        return None
    se = sqrt(pooled * (1 - pooled) * (1 / sent_a + 1 / sent_b))
    return (responded_a / sent_a - responded_b / sent_b) / se


def critical_z(confidence: float, comparisons: int) -> float:
    """Two-sided critical value at `confidence`, Bonferroni-corrected."""
    alpha = (1 - confidence) / comparisons
    return NormalDist().inv_cdf(1 - alpha / 2)


def _enough(a: Arm, b: Arm, min_expected: int) -> bool:
    """Success-failure condition: each variant expects enough of both outcomes."""
    total = a.members_sent + b.members_sent
    responses = a.responded + b.responded
    return all(n * responses >= min_expected * total
               and n * (total - responses) >= min_expected * total
               for n in (a.members_sent, b.members_sent))


def ab_winner(variants: Sequence[V], rules: CampaignRules) -> V | None:
    """The variant whose response rate is significantly the highest, else None."""
    if len(variants) < 2 or any(v.members_sent < rules.ab_min_sends_per_variant
                                for v in variants):
        return None
    # Rates compared exactly (cross-multiplied); ties go to the lower code, and a tie
    # cannot be significant, so it never decides a winner.
    leader = variants[0]
    for v in variants[1:]:
        lhs, rhs = v.responded * leader.members_sent, leader.responded * v.members_sent
        if lhs > rhs or (lhs == rhs and v.variant_code < leader.variant_code):
            leader = v
    threshold = critical_z(float(rules.ab_confidence), len(variants) - 1)
    for other in variants:
        if other is leader:
            continue
        if not _enough(leader, other, rules.ab_min_expected_responses):
            return None
        z = z_score(leader.responded, leader.members_sent, other.responded, other.members_sent)
        if z is None or z < threshold:
            return None
    return leader
