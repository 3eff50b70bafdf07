"""CrowdTangle dashboard CSV exports: Facebook pages, Facebook groups, Instagram, and the old header.

Recognised by their columns, not their name. Four headers exist:

- Facebook pages (since April 2021): `Page Name, User Name, Facebook Id, Page Category, Page Admin
  Top Country, Page Description, Page Created, Likes at Posting, Followers at Posting, Post Created,
  ..., URL, Message, Link, ...`;
- Facebook groups: the same with `Group Name` in place of `Page Name`;
- the header before April 2021: `User Name, Facebook Id, Likes at Posting, Followers at Posting,
  Created, Type, ...` (no page name, category, country or description);
- Instagram: `Account, User Name, Followers at Posting, Post Created, Type, Likes, Comments, Views,
  URL, Link, Photo, Title, Description`.

Each row is a post on a page, group or Instagram account. The post becomes a capture of the post
item (text, link, type, counts) whose parent is the account; the account gets a capture (name,
category, country, description, creation date, followers and likes at posting) only when its name,
followers or likes differ from the last one this file gave for it, so audience growth is kept while
a page with 10,000 posts does not get 10,000 identical captures. An account capture is observed at
the moment of the post (the counts are "at posting"); a post capture at the moment of the export.

The per-post "download CSV" of interaction history (timesteps of one post) is recognised and
refused with an explanation, rather than misread as posts.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any

from toolkit.errors import InputError
from toolkit.models import Capture, DateSource, ItemRef, Status
from toolkit.sources._crowdtangle import (
    TZ_MINUTES,
    cached_count,
    count,
    ct_time,
    decimal,
    facebook_account,
    facebook_aliases,
    facebook_post,
    instagram_account,
    instagram_post,
    last_segment,
    local_to_utc,
)
from toolkit.sources._text import UnreadDates, csv_rows, looks_binary, repeated_header, rounded_id, sniff_delimiter
from toolkit.sources.base import Importer, MapError, ReadContext, head_text
from toolkit.sources.registry import register

# Column names only CrowdTangle exports carry; three of them make a file a CrowdTangle CSV.
DISTINCTIVE = frozenset({
    "Page Name", "Group Name", "Facebook Id", "Page Category", "Page Admin Top Country", "Page Description",
    "Page Created", "Likes at Posting", "Followers at Posting", "Post Created", "Post Created Date",
    "Post Created Time", "Total Interactions", "Video Share Status", "Is Video Owner?",
    "Total Views For All Crossposts", "Final Link", "Image Text", "Link Text", "Sponsor Id", "Sponsor Name",
    "Sponsor Category", "Overperforming Score", "Account",
})
HISTORY = frozenset({"ID", "Score Date (GMT)", "Timestep"})

# The field that marks an account capture dated at its post, not at the export.
AT_POSTING = "at_posting"
# Post columns stored in `fields`, by how they are read.
COUNTS = {
    "Total Interactions": "total_interactions", "Comments": "comments", "Shares": "shares", "Love": "love",
    "Wow": "wow", "Haha": "haha", "Sad": "sad", "Angry": "angry", "Care": "care", "Post Views": "post_views",
    "Total Views": "total_views", "Total Views For All Crossposts": "total_views_crossposts", "Views": "views",
}
WEIGHTED = "Total Interactions (weighted"  # the real header has an em-dash and double spaces after this
TEXTS = {
    "Type": "type", "Link": "link", "Final Link": "final_link", "Image Text": "image_text", "Link Text": "link_text",
    "Video Share Status": "video_share_status", "Is Video Owner?": "video_owner", "Video Length": "video_length",
    "Sponsor Id": "sponsor_id", "Sponsor Name": "sponsor_name", "Sponsor Category": "sponsor_category",
    "Photo": "photo", "Title": "title",
}
DECIMALS = {"Overperforming Score": "overperforming_score", "Score": "score"}
NOT_A_VALUE = frozenset({"N/A", "-"})
# Columns read into capture columns, or redundant with them (Post Created Date and Time).
KNOWN = frozenset({
    "URL", "Message", "Description", "Likes", "Post Created", "Created", "Post Created Date", "Post Created Time",
    "Page Name", "Group Name", "Account", "User Name", "Facebook Id", "Page Category", "Page Admin Top Country",
    "Page Description", "Page Created", "Likes at Posting", "Followers at Posting",
})
# Account states remembered per file to decide whether an account capture is due; past this many
# accounts the memory is cleared (the cost is a few repeated captures, never a wrong one).
ACCOUNT_MEMORY = 100_000
EXPORT_NAME = re.compile(r"(\d{4}-\d\d-\d\d)-(\d\d)-(\d\d)-(\d\d)-([A-Za-z]{2,5})-")


def header_cells(head: bytes) -> list[str] | None:
    """The header row of a CSV head, cells stripped; None when there is no header line."""
    text = head_text(head)
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        return None
    delimiter = sniff_delimiter(first)
    try:
        cells = next(csv.reader([first], delimiter=delimiter), [])
    except csv.Error:
        return None
    return [c.strip() for c in cells]


def _picker(indexes: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """A function returning the cells at `indexes` as a tuple (itemgetter, whatever the count)."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    if indexes:
        only = indexes[0]
        return lambda cells: (cells[only],)
    return lambda cells: ()


class Layout:
    """Where each needed column sits in one file's header, and how its rows map."""

    def __init__(self, header: list[str], path: Path):
        self.header = header
        self.width = len(header)
        index = {name: i for i, name in reversed(list(enumerate(header)))}
        self.instagram = "Account" in index and "Facebook Id" not in index
        self.group = "Group Name" in index
        created = "Post Created" if "Post Created" in index or "Created" not in index else "Created"
        required = ["User Name", "URL", "Post Created"] if self.instagram else ["Facebook Id", "URL", created]
        missing = [name for name in required if name not in index]
        if missing:
            variant = "Instagram" if self.instagram else "Facebook"
            raise InputError(
                str(path), f"CrowdTangle {variant} CSV without the column(s) {', '.join(missing)}",
                f"Export the posts again from the CrowdTangle dashboard; the header must include {', '.join(required)} "
                "(if the file was edited, restore its header line)", line=1)

        def at(name: str) -> int | None:
            return index.get(name)

        self.url = index["URL"]
        self.created = index[created]
        self.account_id = index["User Name"] if self.instagram else index["Facebook Id"]
        self.handle = at("User Name")
        self.name = at("Account") if self.instagram else at("Group Name") if self.group else at("Page Name")
        self.followers = at("Followers at Posting")
        self.likes_at = at("Likes at Posting")
        self.category = at("Page Category")
        self.country = at("Page Admin Top Country")
        self.description = at("Page Description")
        self.page_created = at("Page Created")
        self.message = at("Description") if self.instagram else at("Message")
        self.likes = at("Likes")
        texts = dict(TEXTS)
        if not self.instagram:
            texts["Description"] = "description"  # on Facebook, the linked article's description
        self.counts = [(i, COUNTS[h]) for i, h in enumerate(header) if h in COUNTS]
        self.counts += [(i, "total_interactions_weighted") for i, h in enumerate(header) if h.startswith(WEIGHTED)]
        self.texts = [(i, texts[h]) for i, h in enumerate(header) if h in texts]
        self.decimals = [(i, DECIMALS[h]) for i, h in enumerate(header) if h in DECIMALS]
        # Cells are picked out in C (itemgetter) and zipped with their field names.
        self.count_keys, self.count_cells = [k for _, k in self.counts], _picker([i for i, _ in self.counts])
        self.text_keys, self.text_cells = [k for _, k in self.texts], _picker([i for i, _ in self.texts])
        state = [i for i in (self.name, self.followers, self.likes_at) if i is not None]
        self.state = itemgetter(*state) if state else (lambda cells: None)
        # Cells of columns this importer does not know are kept as the capture's raw record, so
        # nothing in a row is lost; every known cell is already in a capture column or in fields.
        known = {i for i, _ in self.counts + self.texts + self.decimals}
        known |= {index[name] for name in KNOWN if name in index}
        self.unknown = [(i, h) for i, h in enumerate(header) if i not in known and h]
        self._accounts: dict[tuple[str, bool], ItemRef] = {}

    def account(self, cells: list[str], url: str) -> ItemRef:
        key = cells[self.account_id].strip()
        if not key:
            raise MapError("no-account-id", "row has no " + ("User Name" if self.instagram else "Facebook Id"))
        # Search exports mix pages and groups under a "Page Name" header; a group post's URL says so.
        group = self.group or "/groups/" in url
        ref = self._accounts.get((key, group))
        if ref is None:
            if not self.instagram and (why := rounded_id(key)):
                # Keyed by it, distinct pages would become one item.
                raise MapError("rounded-id", "Facebook Id " + why)
            if len(self._accounts) >= ACCOUNT_MEMORY:
                self._accounts.clear()
            ref = instagram_account(key) if self.instagram else facebook_account(key, group)
            self._accounts[(key, group)] = ref
        return ref

    def map(self, cells: list[str], emit_account: bool) -> list[Capture]:
        url = cells[self.url].strip()
        if not url:
            raise MapError("no-url", "row has an empty URL cell")
        account = self.account(cells, url)
        if self.instagram:
            post = instagram_post(url)
            if post is None:
                raise MapError("bad-url", f"not an Instagram post URL: {url[:80]!r}")
        else:
            post_id = last_segment(url)
            if post_id is None:
                raise MapError("bad-url", f"no post id in URL: {url[:80]!r}")
            post = facebook_post(post_id, account)
        created_text = cells[self.created]
        created, zone, known = ct_time(created_text) if created_text else (None, None, True)

        fields: dict[str, Any] = {
            key: number for key, number in zip(self.count_keys, map(cached_count, self.count_cells(cells)), strict=True)
            if number is not None}
        fields.update({key: value for key, value in zip(self.text_keys, self.text_cells(cells), strict=True)
                       if value and value not in NOT_A_VALUE})
        for i, key in self.decimals:
            if (value := cells[i]) and (number := decimal(value)) is not None:
                fields[key] = number
        if zone is not None and not known:
            fields["time_zone"] = zone  # an abbreviation we cannot place: the times are local
        likes = None
        if self.likes is not None and (text := cells[self.likes]):
            likes = int(text) if text.isdigit() else count(text)
        raw = {h: cells[i] for i, h in self.unknown if cells[i]} if self.unknown else None
        message = cells[self.message] if self.message is not None else ""
        capture = Capture(item=post, status=Status.AVAILABLE, parent=account, text=message or None, url=url,
                          likes=likes, created_at=created, fields=fields, raw=raw or None)
        if emit_account:
            return [self.account_capture(cells, account, created, zone), capture]
        return [capture]

    def account_capture(self, cells: list[str], account: ItemRef, created: str | None, zone: str | None) -> Capture:
        """The page, group or Instagram account as the row shows it at the time of the post."""

        def cell(index: int | None) -> str | None:
            return (cells[index].strip() or None) if index is not None else None

        def number(index: int | None) -> int | None:
            text = cell(index)
            return count(text) if text else None

        # Dated at the post (its counts are "at posting"): as a look at the account in a recheck
        # wave it is dated by the export, like its post (toolkit.recheck.from_exports).
        fields: dict[str, Any] = {AT_POSTING: True}
        aliases: tuple[str, ...] = ()
        if (handle := cell(self.handle)) and not self.instagram:
            fields["handle"] = handle
            aliases = facebook_aliases(account, handle)
        if category := cell(self.category):
            fields["category"] = category
        page_created = None
        if text := cell(self.page_created):
            # CrowdTangle shows every date in the dashboard's zone, the one named in Post Created.
            page_created, _ = local_to_utc(text, zone)
        audience = number(self.followers)
        group = account.kind == "group"  # a group's "followers" are its members
        return Capture(item=account, status=Status.AVAILABLE, observed_at=created if created and created.endswith("Z") else None,
                       name=cell(self.name), text=cell(self.description), url=account.url,
                       followers=None if group else audience, members=audience if group else None,
                       likes=number(self.likes_at),
                       created_at=page_created, country=cell(self.country), fields=fields, aliases=aliases)


def _looks_dated(text: str) -> bool:
    """The cheap test for the dashboard's date form ("2021-07-05 18:02:45 BRT"): most cells pass it."""
    return text[4:5] == "-" and text[10:11] in (" ", "T")


def collected_from_name(path: Path) -> str | None:
    """When the export was made, from a dashboard file name such as `2021-07-05-22-49-20-BRT-search-csv-export.csv`."""
    match = EXPORT_NAME.search(path.name)
    if not match or match.group(5).upper() not in TZ_MINUTES:
        return None
    day, hour, minute, second, zone = match.groups()
    iso, _ = local_to_utc(f"{day} {hour}:{minute}:{second}", zone.upper())
    return iso


@register
class CrowdTangleCsv(Importer):
    name = "crowdtangle-csv"
    version = "1"
    description = "CrowdTangle dashboard CSV: Facebook pages or groups posts, Instagram posts (comma or tab)"
    priority = 60

    def sniff(self, path: Path, head: bytes) -> bool:
        if looks_binary(head):
            return False
        header = header_cells(head)
        if not header:
            return False
        names = set(header)
        return len(names & DISTINCTIVE) >= 3 or names >= HISTORY

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        with ctx.open_binary() as binary:
            header = header_cells(binary.peek(65536)[:65536]) or []
            delimiter = sniff_delimiter(head_text(binary.peek(65536)[:65536]).split("\n", 1)[0])
            if set(header) >= HISTORY:
                raise InputError(
                    str(path), "a CrowdTangle per-post interaction history, not a posts export",
                    "This file holds one post's counts over time; export the list of posts instead "
                    "(dashboard: Historical Data or the search's CSV download)", line=1)
            rows = csv_rows(binary, path, delimiter)
            next(rows, None)
            layout = Layout(header, path)
            ctx.collected_at, ctx.collected_source = collected_from_name(path), DateSource.FILE_NAME
            width, account_id, created, url = layout.width, layout.account_id, layout.created, layout.url
            state_of = layout.state
            last_state: dict[str, Any] = {}
            zones_seen: set[str] = set()
            page_created, unread = layout.page_created, UnreadDates("in CrowdTangle's date form (YYYY-MM-DD HH:MM:SS)")
            for line, cells in rows:
                if len(cells) != width:
                    if not any(cells):
                        continue
                    if len(cells) < width:
                        ctx.fail("short-row", f"{len(cells)} cells for {width} columns (file cut off, or a quote "
                                 "left open?)", line)
                        continue
                    if any(cells[width:]):
                        ctx.fail("extra-cells", f"{len(cells)} cells for {width} columns", line)
                        continue
                    cells = cells[:width]
                if cells[url].strip() == "URL" and repeated_header(cells, layout.header, ctx, line):
                    continue  # a note, not a failed post
                key = cells[account_id]
                state = state_of(cells)
                emit = last_state.get(key) != state
                # A row that cannot be mapped (no account id or URL) must not stand for the account.
                if emit and key and cells[url]:
                    if len(last_state) >= ACCOUNT_MEMORY:
                        last_state.clear()
                    last_state[key] = state
                stamp = cells[created]
                if stamp and not _looks_dated(stamp) and ct_time(stamp)[0] is None:
                    unread.see(layout.header[created], stamp, line)
                    stamp = ""  # no zone to speak of
                if emit and page_created is not None and (text := cells[page_created].strip()) \
                        and not _looks_dated(text) and local_to_utc(text, None)[0] is None:
                    unread.see(layout.header[page_created], text, line)
                zone = stamp[20:]
                if zone not in zones_seen and (zone or stamp):
                    zones_seen.add(zone)
                    if zone and zone.upper() not in TZ_MINUTES and not any(c in zone for c in ":-"):
                        ctx.note(f"time zone {zone!r} is unknown: its times are kept as local times, "
                                 "without conversion to UTC", line)
                    elif not zone:
                        ctx.note(f"{layout.header[created]} has no time zone: its times are kept as local times, "
                                 "without conversion to UTC", line)
                yield line, (layout, cells, emit)
            unread.report(ctx)

    def map(self, raw: tuple[Layout, list[str], bool]) -> Iterable[Capture]:
        layout, cells, emit_account = raw
        return layout.map(cells, emit_account)
