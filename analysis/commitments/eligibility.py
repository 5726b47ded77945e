"""Which cost a commitment discount could cover. FOCUS 1.2 has no eligibility column, so this approximates:
on-demand usage (ChargeCategory Usage, PricingCategory Standard) of the service categories that
reservations and savings plans cover on every major cloud (compute and databases). Spot (Dynamic) and
already committed usage, purchases, tax and credits are not eligible."""

from __future__ import annotations

from analysis.scope import Scope, intersect

ELIGIBLE_CATEGORIES: tuple[str, ...] = ("Compute", "Databases")
ELIGIBLE: Scope = (("ChargeCategory", ("Usage",)), ("PricingCategory", ("Standard",)),
                   ("ServiceCategory", ELIGIBLE_CATEGORIES))


def commitment_eligible(scope: Scope = (), categories: tuple[str, ...] = ELIGIBLE_CATEGORIES) -> Scope | None:
    """The commitment-eligible part of `scope` (None when the scope holds no eligible cost by definition,
    e.g. `{ServiceCategory: Storage}`); `categories` widens or narrows the service categories counted."""
    eligible = ELIGIBLE if categories == ELIGIBLE_CATEGORIES else (*ELIGIBLE[:2], ("ServiceCategory", categories))
    return intersect(scope, eligible) if categories else None
