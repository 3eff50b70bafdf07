"""The case database schema, declared once as an ordered list of forward migrations.

`MIGRATIONS[n]` takes a database from schema version n to n+1. SQLite's `user_version` pragma holds
the version. A case made by a newer toolkit (a higher version than `LATEST`) is refused on open.
Append new migrations; never edit a released one.
"""

from __future__ import annotations

V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One imported file. Re-scanning the same bytes (same sha256) is a no-op.
CREATE TABLE source (
    id             INTEGER PRIMARY KEY,
    sha256         TEXT NOT NULL UNIQUE,
    size           INTEGER NOT NULL,
    format         TEXT NOT NULL,
    importer       TEXT NOT NULL,            -- name@version
    path           TEXT NOT NULL,            -- as given on the command line
    imported_at    TEXT NOT NULL,            -- ISO-8601 UTC
    collected_at   TEXT,                     -- from the file when it says so, else given
    records_read   INTEGER NOT NULL,
    records_mapped INTEGER NOT NULL,
    records_failed INTEGER NOT NULL,
    items_new      INTEGER NOT NULL,
    items_seen     INTEGER NOT NULL,
    captures       INTEGER NOT NULL,
    failures       TEXT NOT NULL DEFAULT '{}', -- JSON: cause -> {count, first}
    notes          TEXT NOT NULL DEFAULT '[]', -- JSON list of per-file notes
    evidence       TEXT                      -- sha256 of the stored copy under evidence/, if kept
);

-- A thing on a platform with a stable identity.
CREATE TABLE item (
    id         INTEGER PRIMARY KEY,
    platform   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    url        TEXT,
    name       TEXT,
    parent_id  INTEGER REFERENCES item(id),
    first_seen TEXT,                         -- earliest capture time seen
    last_seen  TEXT,                         -- latest capture time seen
    added_at   TEXT NOT NULL,                -- when the case first recorded it
    UNIQUE (platform, kind, key)
);
CREATE INDEX item_parent ON item(parent_id);
CREATE INDEX item_url ON item(url);

-- One observation of an item's content from a source at a moment.
CREATE TABLE capture (
    id            INTEGER PRIMARY KEY,
    item_id       INTEGER NOT NULL REFERENCES item(id),
    source_id     INTEGER REFERENCES source(id),
    observed_at   TEXT,
    status        TEXT,                      -- NULL when the source says nothing of the state (URL lists)
    status_marker TEXT,
    status_place  TEXT,
    detector      TEXT,
    name          TEXT,
    text          TEXT,
    url           TEXT,
    followers     INTEGER,
    members       INTEGER,
    likes         INTEGER,
    created_at    TEXT,                      -- creation date on the platform
    country       TEXT,                      -- e.g. page transparency "managed from"
    fields        TEXT,                      -- JSON of further mapped fields
    raw           TEXT                       -- JSON of the record as read
);
CREATE INDEX capture_item ON capture(item_id);
CREATE INDEX capture_source ON capture(source_id);

-- A lexicon match on a capture.
CREATE TABLE hit (
    id         INTEGER PRIMARY KEY,
    capture_id INTEGER NOT NULL REFERENCES capture(id),
    item_id    INTEGER NOT NULL REFERENCES item(id),
    lexicon    TEXT NOT NULL,                -- name@version
    term       TEXT NOT NULL,
    category   TEXT,
    language   TEXT,
    field      TEXT,                         -- which capture field matched (name, text, ...)
    start      INTEGER,
    end        INTEGER,
    matched    TEXT,
    weight     REAL
);
CREATE INDEX hit_capture ON hit(capture_id);
CREATE INDEX hit_item ON hit(item_id);

-- An extracted contact point or fact.
CREATE TABLE indicator (
    id         INTEGER PRIMARY KEY,
    capture_id INTEGER NOT NULL REFERENCES capture(id),
    item_id    INTEGER NOT NULL REFERENCES item(id),
    type       TEXT NOT NULL,                -- phone, whatsapp, telegram, email, price, place
    value      TEXT NOT NULL,                -- normalised (E.164, invite code, amount+currency...)
    matched    TEXT,
    field      TEXT,
    start      INTEGER,
    end        INTEGER,
    extractor  TEXT                          -- name@version
);
CREATE INDEX indicator_capture ON indicator(capture_id);
CREATE INDEX indicator_item ON indicator(item_id);
CREATE INDEX indicator_value ON indicator(type, value);

-- A score for an item under a set of lexicons, with its explanation.
CREATE TABLE score (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES item(id),
    capture_id  INTEGER REFERENCES capture(id),
    lexicons    TEXT NOT NULL,               -- name@version list, JSON
    score       REAL NOT NULL,
    category    TEXT,
    explanation TEXT,                        -- JSON
    scored_at   TEXT NOT NULL
);
CREATE INDEX score_item ON score(item_id);

-- A verdict on an item. Append-only; the latest counts.
CREATE TABLE review (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES item(id),
    verdict     TEXT NOT NULL,
    category    TEXT,
    reviewer    TEXT NOT NULL,
    reviewed_at TEXT NOT NULL,
    note        TEXT,
    origin      TEXT                         -- screen, or the imported file's sha256:line
);
CREATE INDEX review_item ON review(item_id);

-- A report made to the platform. Append-only.
CREATE TABLE notice (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES item(id),
    noticed_at  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    reference   TEXT,
    noticed_by  TEXT,
    note        TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX notice_item ON notice(item_id);

-- A named recheck round.
CREATE TABLE wave (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    started_at TEXT NOT NULL,
    methods    TEXT NOT NULL DEFAULT '[]',   -- JSON list of methods used
    note       TEXT
);

-- One recheck observation. Append-only.
CREATE TABLE "check" (
    id              INTEGER PRIMARY KEY,
    item_id         INTEGER NOT NULL REFERENCES item(id),
    wave_id         INTEGER REFERENCES wave(id),
    observed_at     TEXT NOT NULL,
    method          TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,                    -- short code: connect-timeout, http-503, marker...
    detector        TEXT,
    http_status     INTEGER,
    final_url       TEXT,
    evidence_sha256 TEXT,
    marker          TEXT,
    place           TEXT,
    note            TEXT
);
CREATE INDEX check_item ON "check"(item_id);
CREATE INDEX check_wave ON "check"(wave_id);
"""

# The custody log: every append-only row (and, for a source, all of its captures) is chained
# into `event` by toolkit.store.events.seal. Each event's hash covers the previous event's hash.
V2 = """
CREATE TABLE event (
    id        INTEGER PRIMARY KEY,
    sealed_at TEXT NOT NULL,
    kind      TEXT NOT NULL,                 -- the table the row lives in, or report / purge
    ref_id    INTEGER,                       -- the row's id in that table
    content   TEXT NOT NULL,                 -- sha256 of the row's canonical content
    prev      TEXT NOT NULL,                 -- hash of the previous event (64 zeros for the first)
    hash      TEXT NOT NULL UNIQUE,          -- sha256 over prev, kind, ref_id, content, sealed_at
    detail    TEXT                           -- JSON: what a report or purge event covers
);
CREATE INDEX event_ref ON event(kind, ref_id);

-- Every file kept under evidence/: the sha256 of its content (its name) and of the stored bytes,
-- so a change to any byte of the compressed file is caught, even one gzip would not notice.
CREATE TABLE evidence (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT NOT NULL UNIQUE,
    stored_sha256 TEXT NOT NULL,
    stored_size   INTEGER NOT NULL,
    stored_at     TEXT NOT NULL
);
"""

# Item aliases: one page, group or account seen under two keys (a numeric id in CrowdTangle, a
# vanity name in URLs). Captures keep the item they were written to (they are chained); the items
# are linked instead: `merged_into` points a merged item at its canonical item (always a root, never
# another merged item), and `item_alias` records every alternative key a source gave, with the item
# it was given for. Readers fold merged items into their canonical item (see toolkit.store.aliases).
V3 = """
CREATE TABLE item_alias (
    platform  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    key       TEXT NOT NULL,
    item_id   INTEGER NOT NULL REFERENCES item(id),
    source_id INTEGER REFERENCES source(id),
    added_at  TEXT NOT NULL,
    PRIMARY KEY (platform, kind, key)
) WITHOUT ROWID;
CREATE INDEX item_alias_item ON item_alias(item_id);

ALTER TABLE item ADD COLUMN merged_into INTEGER REFERENCES item(id);
CREATE INDEX item_merged ON item(merged_into) WHERE merged_into IS NOT NULL;
"""

# Voided notices: a notice recorded by mistake (wrong item, date or channel) is never edited or
# deleted (notices are append-only and chained); a row here voids it, saying why, who and when.
# `notice_in_force` is every notice not voided: what the listings, the cohort and the report read.
V_NOTICE_VOID = """
CREATE TABLE notice_void (
    id         INTEGER PRIMARY KEY,
    notice_id  INTEGER NOT NULL UNIQUE REFERENCES notice(id),
    why        TEXT NOT NULL,
    voided_by  TEXT,
    voided_at  TEXT NOT NULL                 -- when the void was recorded, ISO-8601 UTC
);

CREATE VIEW notice_in_force AS
    SELECT n.* FROM notice n WHERE NOT EXISTS (SELECT 1 FROM notice_void v WHERE v.notice_id = n.id);
"""

# Where each date came from, and the canary readings of a wave (issue 14).
# - capture.date_source, check.date_source: export field, page header, file name, clock, archive,
#   given (--observed-at / --collected-at / --at), import time (toolkit.models.DateSource).
#   Rows written before this migration keep NULL ("not recorded").
# - canary_check: one reading of a known-live control item (case.toml [canary]) in a wave. Rows of
#   one round share (wave, method, run, round); `after_check` is the highest check id in the case
#   when the round was taken, which places the round among the wave's checks without relying on
#   clocks. A platform's checks next to a round whose canaries did not read live are blind
#   (toolkit.store.status). Append-only, chained in the custody log like checks.
V_DATE_SOURCE_CANARY = """
ALTER TABLE capture ADD COLUMN date_source TEXT;
ALTER TABLE "check" ADD COLUMN date_source TEXT;

CREATE TABLE canary_check (
    id              INTEGER PRIMARY KEY,
    wave_id         INTEGER NOT NULL REFERENCES wave(id),
    method          TEXT NOT NULL,
    run             TEXT NOT NULL,           -- one recheck run (its start time and pid)
    round           INTEGER NOT NULL,        -- rounds of a run, from 1
    after_check     INTEGER NOT NULL,        -- max(check.id) when the round was taken (0: none)
    platform        TEXT NOT NULL,
    url             TEXT NOT NULL,
    observed_at     TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,
    detector        TEXT,
    http_status     INTEGER,
    final_url       TEXT,
    evidence_sha256 TEXT,
    note            TEXT
);
CREATE INDEX canary_check_wave ON canary_check(wave_id, method, platform, after_check);
"""

# Identity conflicts (issue 13): a source claimed a key (numeric id, vanity name) for an item that
# the case already knows under another item whose known ids or names contradict the claim. The
# two items are kept apart (no alias row, no merge) and the claim is recorded here, with the
# source that made it, for `scan`'s summary, `show` and the report's data-quality section.
V_IDENTITY_CONFLICT = """
CREATE TABLE identity_conflict (
    id        INTEGER PRIMARY KEY,
    platform  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    key       TEXT NOT NULL,                 -- the key claimed
    item_id   INTEGER NOT NULL REFERENCES item(id),   -- the item whose capture claimed it
    other_id  INTEGER NOT NULL REFERENCES item(id),   -- the item the case knows under that key
    source_id INTEGER REFERENCES source(id),
    reason    TEXT NOT NULL,                 -- what contradicts: "names differ: a / b"
    added_at  TEXT NOT NULL,
    UNIQUE (platform, kind, key, item_id, other_id)
);
CREATE INDEX identity_conflict_item ON identity_conflict(item_id);
CREATE INDEX identity_conflict_other ON identity_conflict(other_id);
"""

# Files kept beside a source or a check (issue 17): a browser capture's screenshot and MHTML
# snapshot, a browser check's screenshot. Each file is under evidence/ by its sha256 (content).
# Append-only and chained in the custody log after checks, so the link between a check and its
# screenshot is as tamper-evident as the check itself.
V_ATTACHMENT = """
CREATE TABLE attachment (
    id         INTEGER PRIMARY KEY,
    source_id  INTEGER REFERENCES source(id),
    check_id   INTEGER REFERENCES "check"(id),
    role       TEXT NOT NULL,                -- screenshot | mhtml
    sha256     TEXT NOT NULL,                -- the file under evidence/
    media_type TEXT NOT NULL,                -- image/png, multipart/related
    size       INTEGER NOT NULL,             -- bytes of the file itself
    width      INTEGER,                      -- screenshots: pixels of the PNG
    height     INTEGER,
    note       TEXT                          -- e.g. "cut from a 30000 px page", "scale 0.5"
);
CREATE INDEX attachment_source ON attachment(source_id) WHERE source_id IS NOT NULL;
CREATE INDEX attachment_check ON attachment(check_id) WHERE check_id IS NOT NULL;
"""

# Custody of derived rows (issue 16): each seal records the digest of every leaf (LEAF_ROWS
# consecutive rows) of a state table it changed; a state event's content hashes its leaves.
V_CUSTODY_LEAVES = """
CREATE TABLE IF NOT EXISTS seal_leaf (
    event_id INTEGER NOT NULL REFERENCES event(id),
    tbl      TEXT NOT NULL,                  -- the state table
    leaf     INTEGER NOT NULL,               -- leaf number: the row's key // LEAF_ROWS
    digest   TEXT NOT NULL,                  -- sha256 of the leaf's rows (see toolkit.store.coverage)
    rows     INTEGER NOT NULL,
    PRIMARY KEY (tbl, leaf, event_id)
) WITHOUT ROWID;
"""

# The run of each check: the recheck run (one `toolkit recheck` command, or one call of a runner)
# that recorded it, named as its canary rounds name it (`canary_check.run`). A run's last stretch of
# checks ends at its own last check, so a canary that failed in one run never blinds a later run of
# the same wave, method and platform (toolkit.store.status). Checks recorded before this migration
# keep NULL ("not recorded"): their runs keep the reading they had (toolkit.store.status._run_ends).
V_CHECK_RUN = """
ALTER TABLE "check" ADD COLUMN run TEXT;
CREATE INDEX check_run ON "check"(run) WHERE run IS NOT NULL;
"""

MIGRATIONS: list[str] = [V1, V2, V3, V_NOTICE_VOID, V_DATE_SOURCE_CANARY, V_IDENTITY_CONFLICT, V_ATTACHMENT,
                         V_CUSTODY_LEAVES, V_CHECK_RUN]
LATEST = len(MIGRATIONS)

# Columns added to chained tables after rows were first sealed: left out of a row's custody digest
# while NULL, so a case migrated from before them keeps a valid log (toolkit.store.events).
LATE_COLUMNS: dict[str, frozenset[str]] = {
    "capture": frozenset({"date_source"}),
    "check": frozenset({"date_source", "run"}),
}
