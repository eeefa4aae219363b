"""The confidence thresholds identification and judgement share, in one place.

Two different quantities have thresholds, so they have two names: the weight of one piece of
evidence (how a single reason is worded) and the confidence of a whole identity (what verdict
it can support).  Both run from 0 to 1.
"""

from __future__ import annotations

# A single reason weighing less than this names its maker as "likely" (identify()).
LIKELY_REASON_BELOW = 0.55
# Below this total score the evidence is too thin to name a maker at all (identify()).
MIN_MAKER_SCORE = 0.3
# An identity less confident than this gives at most "likely_covered" (judge()).
LIKELY_IDENTITY_BELOW = 0.6
# An identity less confident than this cannot support "not_covered": it is "unknown" (judge()).
UNKNOWN_IDENTITY_BELOW = 0.3
