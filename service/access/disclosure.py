"""Small cells of aggregates, suppressed (k-anonymity; UU 27/2022 on personal data).

An aggregate shown to someone who may not see its people one by one (an analyst without a grant
for that agency) must not let them single anyone out: a 9-box cell of 1 in an office of 7 names
that person's talent box to anyone who knows who works there. So every count of fewer than
``minimum`` people (``JENJANG_MIN_CELL_SIZE``) is withheld (*primary* suppression), shown as
null with a reason, never as 0.

Withholding one cell is not enough when the table's total is known (an agency's head count is on
its list page): the total minus the cells shown gives the withheld cell back. So further cells are
withheld (*secondary* suppression) until the withheld cells of a table, taken together, hold so
many people that none of them can be shown to be small: with ``n`` cells withheld holding ``S``
people, each of at least 1 (zeros are shown), the most any one of them can hold is
``S - (n - 1)``, and that must reach ``minimum``. Two withheld cells of 1 (``S - 1 = 1``) fail
this, so a third cell is withheld with them; a withheld 2 beside a withheld 40 passes. The
smallest cell shown is taken first, as statistical offices do (least information lost); a zero
is never taken, since a withheld zero would tell a reader that the other withheld cells are the
people. Primary and secondary cells carry the same reason, since telling them apart would
bound the primary ones again. When even withholding every cell with people cannot satisfy the
rule (a table of 3 people in 3 boxes), every cell is withheld, zeros too.

Whoever may see each of the people (an admin, a planner of the agency, an analyst granted it)
gets exact counts: suppression would hide nothing from them that their person pages do not show.

The rule follows the minimum-frequency rule and the singleton problem of Statistics Norway's
GaussSuppression (an R package; nothing comparable is maintained for Python, and these tables are
one row with a total, for which a greedy choice is exact enough).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

from service.access.accounts import Account
from service.access.scopes import individual_agencies

Key = TypeVar("Key", bound=Hashable)

#: What a withheld cell says about itself (the same for primary and secondary cells).
REASON = (
    "withheld: fewer than {minimum} people, or hidden with such a cell so that it cannot be "
    "worked out from the total (k-anonymity, UU 27/2022)"
)


def minimum_for(account: Account, agency_id: str, minimum: int) -> int | None:
    """The smallest cell `account` may see of `agency_id`'s aggregates: None (exact counts)
    for whoever may see its people one by one, else `minimum`."""
    agencies = individual_agencies(account)
    if agencies is None or (account.role != "asn" and agency_id in agencies):
        return None
    return minimum


def suppress(counts: Mapping[Key, int], minimum: int | None) -> dict[Key, int | None]:
    """`counts` with the cells a reader must not see set to None (see the module's rule); all
    kept when `minimum` is None."""
    if minimum is None:
        return dict(counts)
    hidden = {key for key, count in counts.items() if 0 < count < minimum}
    shown = sorted((count, i) for i, count in enumerate(counts.values()) if count >= minimum)
    keys = list(counts)
    while hidden and not _protected([counts[key] for key in hidden], minimum):
        if not shown:
            return dict.fromkeys(counts)  # nothing left to hide it with: withhold the table
        hidden.add(keys[shown.pop(0)[1]])
    return {key: None if key in hidden else count for key, count in counts.items()}


def share(count: int, total: int, minimum: int | None) -> int | None:
    """`count` of `total` people (a yes/no split: with a gap and without, below the JP right and
    not), or None when either side is a small cell: the side not shown is the total minus it."""
    return suppress({"yes": count, "no": total - count}, minimum)["yes"]


def _protected(withheld: list[int], minimum: int) -> bool:
    """Whether no withheld cell can be shown to hold fewer than `minimum` people: at least two
    withheld, and the largest any one can hold, the others holding 1 each, reaches it."""
    return len(withheld) >= 2 and sum(withheld) - (len(withheld) - 1) >= minimum
