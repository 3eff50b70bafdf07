"""Shared vocabularies (closed enums) and the records that flow between stages.

Every enum value is the exact token used in the database, the CLI and every output; the README's
vocabulary tables are checked against these by a test. This module imports nothing from the
package, so every stage can import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    PAGE = "page"
    GROUP = "group"
    PROFILE = "profile"
    POST = "post"
    LISTING = "listing"
    VIDEO = "video"
    CHANNEL = "channel"
    MESSAGE = "message"
    AD = "ad"


class Family(StrEnum):
    LIVE = "live"
    GONE = "gone"
    ENDED = "ended"
    UNKNOWN = "unknown"


class Status(StrEnum):
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    REMOVED = "removed"
    ACCOUNT_GONE = "account_gone"
    SOLD = "sold"
    LOGIN_REQUIRED = "login_required"
    RESTRICTED = "restricted"
    RATE_LIMITED = "rate_limited"
    ERROR = "error"
    NOT_SEEN = "not_seen"

    @property
    def family(self) -> Family:
        return STATUS_FAMILY[self]


STATUS_FAMILY: dict[Status, Family] = {
    Status.AVAILABLE: Family.LIVE,
    Status.UNAVAILABLE: Family.GONE,
    Status.REMOVED: Family.GONE,
    Status.ACCOUNT_GONE: Family.GONE,
    Status.SOLD: Family.ENDED,
    Status.LOGIN_REQUIRED: Family.UNKNOWN,
    Status.RESTRICTED: Family.UNKNOWN,
    Status.RATE_LIMITED: Family.UNKNOWN,
    Status.ERROR: Family.UNKNOWN,
    Status.NOT_SEEN: Family.UNKNOWN,
}


class DateSource(StrEnum):
    """Where the date of a capture or check came from. Only `import_time` is a guess: a date the
    tool had to take because nothing else said when the thing was seen."""

    EXPORT_FIELD = "export_field"  # a date field of the exported record
    PAGE_HEADER = "page_header"  # what the saving tool wrote with the page (SingleFile, MHTML, WARC, HAR)
    FILE_NAME = "file_name"  # a date in the file's name (a CrowdTangle dashboard export)
    CLOCK = "clock"  # this machine's clock when it looked (live fetch, manual answer)
    ARCHIVE = "archive"  # the Wayback Machine's capture time
    GIVEN = "given"  # given by the researcher (--observed-at, --collected-at, --at, [scan] collected_at)
    IMPORT_TIME = "import_time"  # nothing said when: the time of the import


class Verdict(StrEnum):
    VIOLATING = "violating"
    NOT_VIOLATING = "not_violating"
    UNSURE = "unsure"


class Category(StrEnum):
    SMUGGLING_OFFER = "smuggling_offer"
    SMUGGLING_SOLICITATION = "smuggling_solicitation"
    SMUGGLING_INFORMATION = "smuggling_information"
    DRUG_SALE = "drug_sale"
    RECRUITMENT = "recruitment"
    EXTORTION = "extortion"
    OTHER = "other"


class Channel(StrEnum):
    IN_APP = "in_app"
    PLATFORM_REQUEST = "platform_request"
    DSA_NOTICE = "dsa_notice"
    TRUSTED_FLAGGER = "trusted_flagger"
    PRESS = "press"
    LAW_ENFORCEMENT = "law_enforcement"
    OTHER = "other"


class Method(StrEnum):
    LIVE = "live"
    BROWSER = "browser"
    EXPORT = "export"
    MANUAL = "manual"
    WAYBACK = "wayback"


@dataclass(frozen=True, slots=True)
class ItemRef:
    """The stable identity of a thing on a platform.

    `key` is the platform's own id when known, else the canonical URL. `url` is the canonical URL
    to show and to re-check (it may be None when only an id is known).
    """

    platform: str
    kind: Kind
    key: str
    url: str | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.platform, str(self.kind), self.key)


@dataclass(slots=True)
class Capture:
    """One observation of an item's content from a source at a moment.

    Absent fields stay None: an importer never invents a value it did not read. `fields` holds
    further mapped values (counts, category, description...) and `raw` the record as read, both
    stored as JSON. `parent` links a post to its page, group or channel. `aliases` are other keys
    of the same item (same platform and kind, in the platform's canonical key form) that the source
    also knows, e.g. a page's numeric id beside its vanity name: the store links them to one item.
    """

    item: ItemRef
    status: Status | None = Status.AVAILABLE  # None: the source says nothing of the item's state
    parent: ItemRef | None = None
    observed_at: str | None = None
    name: str | None = None
    text: str | None = None
    url: str | None = None
    followers: int | None = None
    members: int | None = None
    likes: int | None = None
    created_at: str | None = None
    country: str | None = None
    status_marker: str | None = None
    status_place: str | None = None
    detector: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    raw: Any = None
    aliases: tuple[str, ...] = ()
    date_source: DateSource | None = None  # where observed_at came from (set with it)


@dataclass(slots=True)
class Note:
    """A per-file message from an importer that is not a capture (e.g. "Post not found" with no id)."""

    message: str
    line: int | None = None


@dataclass(slots=True)
class Failure:
    """A record that could not be read or mapped: counted by cause, reported once per cause."""

    cause: str
    detail: str
    line: int | None = None
