"""An item's verdict: its latest review, one rule for every command that reads verdicts.

The latest review of an item is the one given last: the latest `reviewed_at` (the review screen's
clock, or the date a review sheet's `reviewed_at` column gives), ties broken by the order the
reviews were recorded (id). The order of recording alone would not do: a sheet of verdicts given
last week, imported today, would override a verdict given this morning. Reviews of an item merged
into another through an alias (toolkit.store.aliases) count for that one.

The report's cohort, the items `recheck` follows, the items `flag --cohort confirmed` notices, `items
--verdict`, the review queue's category filter and `lexicon stats` all read verdicts through these
queries, so no two of them can disagree about an item. Each is an SQL subquery giving one review id
per item: join it (`... JOIN (LATEST_REVIEW) lr ON lr.item_id = i.id JOIN review r ON r.id = lr.id`).
"""

from __future__ import annotations

from toolkit.store.aliases import member_of

# The latest review of each group: SQLite takes the bare column `v.id` of a max() aggregate from the
# row holding the maximum, and the key orders rows exactly as `reviewed_at DESC, id DESC` would
# (`reviewed_at` is never NULL; the space sorts below every character of a date, so a shorter date
# that is a prefix of a longer one sorts first, as it does alone; the ids are zero-padded). A GROUP BY
# rather than a ranking window: its rows are keyed by the group, so a join on them is a look-up
# (SQLite indexed a window's ranked rows on the rank alone, and a listing of 100,000 items took
# minutes). `{item}` is the item a row counts for, `{group}` what is ranked apart (over `v`, the
# review, and `i`, its item), `{source}` the rows.
# `{columns}`: more columns of the latest review (of `v`), taken from the same row.
_RANKED = """SELECT {item} AS item_id, v.id{columns}, max(v.reviewed_at || ' ' || printf('%020d', v.id)) AS latest
    FROM {source} GROUP BY {group}"""


def _ranked(item: str, group: str, source: str, columns: str = "") -> str:
    return _RANKED.format(item=item, group=group, source=source, columns=f", {columns}" if columns else "")


_FOLDED = {"item": "coalesce(i.merged_into, i.id)", "group": "coalesce(i.merged_into, i.id)",
           "source": "review v JOIN item i ON i.id = v.item_id"}

# Per item (merged items folded into the item they were merged into): item_id, id of its latest review.
LATEST_REVIEW = _ranked(**_FOLDED)


def latest_review_with(columns: str) -> str:
    """LATEST_REVIEW with the latest review's own `columns` (of `v`, e.g. "v.verdict, v.category"),
    taken from the row that holds the maximum, as its id is: the same review as joining LATEST_REVIEW
    back to `review` by id, read once (the second read of the reviews cost ~0.07 CPU-s at 100,000)."""
    return _ranked(**_FOLDED, columns=columns)

# Per item as recorded, not folded: for a listing whose folded rows come from LATEST_REVIEW_OF_ROOT
# (the items it lists plainly have no merged items, so the fold would change nothing but the plan:
# SQLite makes no look-up index on a folded group's key, and the join became a scan per item).
LATEST_REVIEW_OF_ITEM = _ranked(item="v.item_id", group="v.item_id", source="review v")

# The same, for an item listing's own fold: `root` maps every item id to the item it is listed as.
LATEST_REVIEW_OF_ROOT = _ranked(item="r.root", group="r.root", source="review v JOIN root r ON r.id = v.item_id")


def latest_per_reviewer(condition: str = "") -> str:
    """Per item and reviewer (items as reviewed, not folded: agreement compares what each reviewer
    saw): item_id, id of that reviewer's latest review of it; `condition` an optional condition
    on `v` (e.g. "v.reviewer = ? AND v.item_id IN (...)")."""
    source = "review v" + (f" WHERE {condition}" if condition else "")
    return _ranked(item="v.item_id", group="v.item_id, v.reviewer", source=source)


def latest_review_id(item: str) -> str:
    """The same rule as a correlated subquery: the id of the latest review of the item `item` names
    (an SQL expression, e.g. "coalesce(i.merged_into, i.id)") or of an item merged into it. For
    per-item look-ups inside a larger query, where a join on LATEST_REVIEW would not be indexed."""
    return f"(SELECT v.id FROM review v WHERE {member_of('v.item_id', item)} ORDER BY v.reviewed_at DESC, v.id DESC LIMIT 1)"
