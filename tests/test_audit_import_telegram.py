"""Audit (import): older Telegram Desktop exports give the exporting machine's local time without its
offset; that time is kept as local (no Z) and marked, never stored as if it were UTC.

The fixtures are synthetic. The JSON imitates `telegram_desktop_json/*_result.json` of the shared
samples as tdesktop wrote it before `date_unixtime` existed (only `date`, local time); the HTML
imitates `telegram_desktop_html/*_messages.html` with a date title lacking its `UTC±HH:MM` part.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

OLD_JSON = {
    "name": "Viajes Norte Seguro", "type": "public_channel", "id": 1700000099,
    "messages": [
        {"id": 1, "type": "service", "date": "2019-05-01T10:00:00", "actor": "Viajes Norte Seguro",
         "action": "create_channel", "title": "Viajes Norte Seguro", "text": ""},
        {"id": 2, "type": "message", "date": "2019-05-01T12:34:56", "edited": "2019-05-01T13:00:00",
         "from": "Viajes Norte Seguro", "from_id": "channel1700000099", "text": "Salidas cada semana"},
        # A newer message of the same file with date_unixtime: that one is UTC.
        {"id": 3, "type": "message", "date": "2019-05-03T09:00:00", "date_unixtime": "1556874000",
         "from": "Viajes Norte Seguro", "from_id": "channel1700000099", "text": "Informes por WhatsApp"},
    ],
}

OLD_HTML = """<!DOCTYPE html>
<html>
 <head>
  <meta charset="utf-8"/>
<title>Exported Data</title>
 </head>
 <body>
  <div class="page_wrap">
   <div class="page_header">
    <div class="content">
     <div class="text bold">
Viajes Norte Seguro
     </div>
    </div>
   </div>
   <div class="page_body chat_page">
    <div class="history">
     <div class="message default clearfix" id="message2">
      <div class="body">
       <div class="pull_right date details" title="01.05.2019 12:34:56">
12:34
       </div>
       <div class="from_name">
Viajes Norte Seguro
       </div>
       <div class="text">
Salidas cada semana
       </div>
      </div>
     </div>
     <div class="message default clearfix joined" id="message3">
      <div class="body">
       <div class="pull_right date details" title="03.05.2019 04:00:00 UTC-05:00">
04:00
       </div>
       <div class="text">
Informes por WhatsApp
       </div>
      </div>
     </div>
    </div>
   </div>
  </div>
 </body>
</html>
"""


def _messages(case: Path) -> dict[str, tuple[str | None, dict]]:
    with sqlite3.connect(case / "case.db") as conn:
        rows = conn.execute("SELECT i.key, c.created_at, c.fields FROM capture c JOIN item i ON i.id = c.item_id"
                            " WHERE i.kind = 'message'").fetchall()
    return {key.rsplit("/", 1)[1]: (created, json.loads(fields or "{}")) for key, created, fields in rows}


def test_old_json_export_local_date_is_not_stored_as_utc(case, invoke, tmp_path):
    export = tmp_path / "result.json"
    export.write_text(json.dumps(OLD_JSON, ensure_ascii=False, indent=1), encoding="utf-8")
    result = invoke("scan", case, export)
    assert result.exit_code == 0, result.output
    found = _messages(case)
    created, fields = found["2"]
    assert created == "2019-05-01T12:34:56"  # the local time as exported, no Z: its offset is unknown
    assert fields["date_is_local_time"] is True
    assert fields["edited_at"] == "2019-05-01T13:00:00"
    assert found["3"][0] == "2019-05-03T09:00:00Z"  # date_unixtime is UTC


def test_old_html_export_local_date_is_not_stored_as_utc(case, invoke, tmp_path):
    page = tmp_path / "messages.html"
    page.write_text(OLD_HTML, encoding="utf-8")
    result = invoke("scan", case, page)
    assert result.exit_code == 0, result.output
    found = _messages(case)
    created, fields = found["2"]
    assert created == "2019-05-01T12:34:56"
    assert fields["date_is_local_time"] is True
    created, fields = found["3"]
    assert created == "2019-05-03T09:00:00Z"  # a title with its offset is converted to UTC
    assert "date_is_local_time" not in fields


def test_old_json_and_html_exports_agree(case, invoke, tmp_path):
    (tmp_path / "json").mkdir()
    (tmp_path / "html").mkdir()
    (tmp_path / "json" / "result.json").write_text(json.dumps(OLD_JSON), encoding="utf-8")
    (tmp_path / "html" / "messages.html").write_text(OLD_HTML, encoding="utf-8")
    assert invoke("scan", case, tmp_path / "json" / "result.json").exit_code == 0
    first = _messages(case)
    assert invoke("scan", case, tmp_path / "html" / "messages.html").exit_code == 0
    with sqlite3.connect(case / "case.db") as conn:
        dates = conn.execute("SELECT DISTINCT c.created_at FROM capture c JOIN item i ON i.id = c.item_id"
                             " WHERE i.kind = 'message' AND i.key LIKE '%/2'").fetchall()
    assert dates == [(first["2"][0],)]
