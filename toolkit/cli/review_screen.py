"""The review screen: one candidate at a time, one key per answer, drawn with Rich.

Keys (also shown on screen):
    v violating   n not violating   u unsure   s / space / → skip   b / ← back   q quit
    1-7 category (smuggling_offer ... other)   c note (typed on its own line)   ? help

The screen only draws and reads keys; the session (toolkit.cohort.session) holds the position and
commits each verdict as it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from toolkit.cli.common import safe_text
from toolkit.cli.keys import KeySource
from toolkit.cohort.session import ReviewSession
from toolkit.lexicon.explain import explain_line
from toolkit.models import Category, Verdict
from toolkit.neutralise import printable

MAX_TEXT = 1500  # characters of text shown; the rest is counted, not drawn
HIT_STYLE = "bold black on yellow"
LINE = 200  # characters per explanation line
CATEGORIES = list(Category)

KEYS_LINE = "v violating  n not violating  u unsure  s/→ skip  b/← back  1-7 category  c note  q quit  ? help"
HELP = (
    "v violating · n not violating · u unsure (each records your verdict and moves on) · "
    "s, space or → skip (no verdict) · b or ← back to the previous candidate (a new verdict replaces the old) · "
    + " · ".join(f"{n} {c.value}" for n, c in enumerate(CATEGORIES, start=1))
    + " · c type a note for this candidate · q quit (answers so far are saved; run again to continue)"
)


def _verdict(verdict: Verdict) -> Callable[[ReviewSession, KeySource], str]:
    def act(session: ReviewSession, keys: KeySource) -> str:
        session.give(verdict)
        item_id, given, category = session.last or (0, "", None)
        return f"#{item_id}: {given}" + (f" ({category})" if category else "")

    return act


def _category(category: Category) -> Callable[[ReviewSession, KeySource], str]:
    def act(session: ReviewSession, keys: KeySource) -> str:
        session.choose(category)
        return f"category: {category.value}"

    return act


def _skip(session: ReviewSession, keys: KeySource) -> str:
    session.skip()
    return "skipped"


def _back(session: ReviewSession, keys: KeySource) -> str:
    return "back" if session.back() else "this is the first candidate of this session"


def _note(session: ReviewSession, keys: KeySource) -> str:
    text = keys.line()
    if text is None:
        return ""
    session.annotate(text)
    return "note kept for this candidate" if session.note else "note cleared"


def _help(session: ReviewSession, keys: KeySource) -> str:
    return HELP


# One table from key to action: the screen has no if-ladder over keys.
KEYMAP: dict[str, Callable[[ReviewSession, KeySource], str]] = {
    "v": _verdict(Verdict.VIOLATING),
    "n": _verdict(Verdict.NOT_VIOLATING),
    "u": _verdict(Verdict.UNSURE),
    "s": _skip, " ": _skip, "right": _skip,
    "b": _back, "left": _back,
    "c": _note,
    "?": _help,
    **{str(n): _category(c) for n, c in enumerate(CATEGORIES, start=1)},
}
QUIT_KEYS = {"q", "esc", ""}


def run_screen(session: ReviewSession, keys: KeySource, console: Console,
               on_render: Callable[[], None] | None = None) -> bool:
    """Walk the session with keys until every candidate is passed or the reviewer quits.

    Returns True when the end was reached, False on quit (q, Escape, end of input, Ctrl-C).
    `on_render` is called after each screen is drawn (the benchmark times the first one).
    """
    message = ""
    while not session.done:
        console.clear()
        console.print(render(session, message))
        if on_render is not None:
            on_render()
        # A large case shows its first screen from the head of the list; the rest is read while
        # the researcher reads that screen (keys typed meanwhile wait in the terminal's buffer).
        session.load_rest()
        try:
            key = keys.key()
            if key in QUIT_KEYS:
                return False
            action = KEYMAP.get(key.lower() if len(key) == 1 else key)
            if action is None:
                message = f"unknown key {key!r}: press ? for help"
                continue
            if action is _note:
                console.print(Text("note: ", style="bold"), end="")
            message = action(session, keys)
        except KeyboardInterrupt:
            # Ctrl-C is a quit: every verdict given so far is already committed.
            return False
    return True


def render(session: ReviewSession, message: str = "") -> Group:
    """The screen for the current candidate."""
    d = session.detail()
    given = ", ".join(f"{n} {v.replace('_', ' ')}" for v, n in sorted(session.given.items()))
    header = Text.assemble(
        (f"Candidate {session.position + 1} of " + (f"{session.total:,}" if session.total is not None else "…"), "bold"),
        f" · reviewer {printable(session.reviewer)}",
        f" · this session: {given}" if given else "",
    )
    body: list[Any] = [_facts(d)]
    body.extend(_texts(d))
    body.extend(_signals(d))
    body.extend(_history(d))
    title = Text(f"#{d['id']} ") + Text(printable(_name(d) or "(no name)"), style="bold")
    footer = [_choices(session, d), Text(KEYS_LINE, style="dim")]
    if message:
        footer.insert(0, Text(message, style="green"))
    return Group(header, Panel(Group(*body), title=title, title_align="left"), *footer)


def _name(d: dict[str, Any]) -> str | None:
    capture = d.get("capture") or {}
    return capture.get("name") or d.get("name")


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _facts(d: dict[str, Any]) -> Text:
    facts = Text.assemble((f"{d['platform']} {d['kind']}", "cyan"), "  ", printable(d.get("url") or d["key"]), "\n")
    facts.append(f"followers {_count(d.get('followers'))} · members {_count(d.get('members'))}")
    facts.append(f" · created {printable((d.get('created_at') or '–')[:10])}")
    if d.get("country"):
        facts.append(f" · managed from {printable(d['country'])}")
    if d.get("parent_name") or d.get("parent_url"):
        facts.append(f" · in {printable(d.get('parent_name') or d.get('parent_url'))}")
    return facts


def highlighted(text: str, hits: list[dict[str, Any]], field: str, limit: int = MAX_TEXT) -> Text:
    """`text` (cut at `limit`) with the spans of the hits on `field` highlighted.

    Spans that do not fit the text (a hit from another version of the capture) are ignored
    rather than drawn in the wrong place.
    """
    shown = text[:limit]
    spans = []
    for hit in hits:
        start, end = hit.get("start"), hit.get("end")
        if hit.get("field") != field or not isinstance(start, int) or not isinstance(end, int):
            continue
        if 0 <= start < end <= len(text) and start < len(shown):
            spans.append((start, min(end, len(shown)), HIT_STYLE))
    # Control characters are made visible a segment at a time, so the hits' offsets still fit.
    out = safe_text(shown, spans)
    if len(text) > limit:
        out.append(f" … ({len(text) - limit:,} more characters)", style="dim")
    return out


def _texts(d: dict[str, Any]) -> list[Text]:
    capture = d.get("capture") or {}
    out = []
    # The name is the panel's title; it is drawn again only to show the hits inside it.
    if capture.get("name") and any(h.get("field") == "name" for h in d["hits"]):
        out.append(Text("\n") + highlighted(capture["name"], d["hits"], "name"))
    if capture.get("text"):
        out.append(Text("\n") + highlighted(capture["text"], d["hits"], "text"))
    if not capture:
        out.append(Text("\n(no capture: this item is known only by its URL)", style="dim"))
    return out


def _signals(d: dict[str, Any]) -> list[Text]:
    out = [Text("")]
    if d["hits"]:
        terms: dict[tuple[str, str | None], int] = {}
        for hit in d["hits"]:
            key = (hit["term"], hit.get("category"))
            terms[key] = terms.get(key, 0) + 1
        out.append(Text("hits: ", style="bold") + Text(printable(", ".join(
            f"{term}" + (f" [{cat}]" if cat else "") + (f" ×{n}" if n > 1 else "") for (term, cat), n in terms.items()))))
    if d["indicators"]:
        out.append(Text("indicators: ", style="bold") + Text(printable(", ".join(
            f"{i['type']} {i['value']}" for i in d["indicators"]))))
    if d.get("score") is not None:
        out.append(Text("score: ", style="bold") + Text(f"{d['score']:.2f}"
                                                        + (f" · suggests {d['suggested_category']}" if d.get("suggested_category") else "")))
        line = explain_line(d.get("explanation"), d.get("suggested_category"))
        if line:
            out.append(Text("  " + printable(line if len(line) <= LINE else line[: LINE - 1] + "…"), style="dim"))
    return out


def _history(d: dict[str, Any]) -> list[Text]:
    out = []
    status = d.get("status")
    if status is not None and status.status is not None:
        # The one status rule (toolkit.store.status), as `toolkit items` and the report read it.
        out.append(Text("status: ", style="bold") + Text(
            f"{status.status} ({status.family})" + (f" since {status.status_at[:10]}" if status.status_at else "")
            + (f" · blind: {status.blind}" if status.blind else "")
            + (f" · last observed {status.last_observed} {status.last_observed_at[:10]}"
               if status.last_observed and status.last_observed_at and status.last_observed_at != status.status_at else "")))
    if d["checks"]:
        out.append(Text("checks: ", style="bold") + Text(printable("; ".join(
            f"{c['observed_at'][:10]} {c['method']} {c['status']}" + (f" ({c['reason']})" if c.get("reason") else "")
            for c in d["checks"]))))
    if d["reviews"]:
        out.append(Text("earlier verdicts: ", style="bold") + Text(printable("; ".join(
            f"{r['reviewed_at'][:10]} {r['reviewer']} {r['verdict']}" + (f" ({r['category']})" if r.get("category") else "")
            + (f" “{r['note']}”" if r.get("note") else "") for r in d["reviews"]))))
    return out


def _choices(session: ReviewSession, d: dict[str, Any]) -> Text:
    chosen = session.category.value if session.category else None
    suggested = d.get("suggested_category")
    line = Text("category: ")
    for number, category in enumerate(CATEGORIES, start=1):
        style = "bold reverse" if category.value == chosen else "underline" if chosen is None and category.value == suggested else ""
        line.append(f"{number} {category.value}", style=style)
        line.append("  ")
    if session.note:
        line.append(f"\nnote: {printable(session.note)}", style="italic")
    return line
