-- schema version 9
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
CREATE INDEX attachment_check ON attachment(check_id) WHERE check_id IS NOT NULL;
CREATE INDEX attachment_source ON attachment(source_id) WHERE source_id IS NOT NULL;
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
, date_source TEXT);
CREATE INDEX capture_item ON capture(item_id);
CREATE INDEX capture_source ON capture(source_id);
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
, date_source TEXT, run TEXT);
CREATE INDEX check_item ON "check"(item_id);
CREATE INDEX check_run ON "check"(run) WHERE run IS NOT NULL;
CREATE INDEX check_wave ON "check"(wave_id);
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
CREATE TABLE evidence (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT NOT NULL UNIQUE,
    stored_sha256 TEXT NOT NULL,
    stored_size   INTEGER NOT NULL,
    stored_at     TEXT NOT NULL
);
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
    added_at   TEXT NOT NULL, merged_into INTEGER REFERENCES item(id),                -- when the case first recorded it
    UNIQUE (platform, kind, key)
);
CREATE INDEX item_merged ON item(merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX item_parent ON item(parent_id);
CREATE INDEX item_url ON item(url);
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
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
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
CREATE VIEW notice_in_force AS
    SELECT n.* FROM notice n WHERE NOT EXISTS (SELECT 1 FROM notice_void v WHERE v.notice_id = n.id);
CREATE TABLE notice_void (
    id         INTEGER PRIMARY KEY,
    notice_id  INTEGER NOT NULL UNIQUE REFERENCES notice(id),
    why        TEXT NOT NULL,
    voided_by  TEXT,
    voided_at  TEXT NOT NULL                 -- when the void was recorded, ISO-8601 UTC
);
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
CREATE TABLE seal_leaf (
    event_id INTEGER NOT NULL REFERENCES event(id),
    tbl      TEXT NOT NULL,                  -- the state table
    leaf     INTEGER NOT NULL,               -- leaf number: the row's key // LEAF_ROWS
    digest   TEXT NOT NULL,                  -- sha256 of the leaf's rows (see toolkit.store.coverage)
    rows     INTEGER NOT NULL,
    PRIMARY KEY (tbl, leaf, event_id)
) WITHOUT ROWID;
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
CREATE TABLE wave (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    started_at TEXT NOT NULL,
    methods    TEXT NOT NULL DEFAULT '[]',   -- JSON list of methods used
    note       TEXT
);
