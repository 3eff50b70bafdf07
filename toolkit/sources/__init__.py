"""Importers, one module per export format, all registered in `toolkit.sources.registry`.

    base.py       the `Importer` contract: `sniff`, `read` (records), a pure `map` (record -> captures)
    registry.py   the importers, built-in and third-party (plugins.load_plugins), and sniffing a file
    <format>.py   one importer per format (crowdtangle_csv, telegram_json, savedpage, warc, ...)
    _*.py         what several importers share: _page_containers (saved pages, MHTML, WARC, WACZ,
                  HAR: the page record and the captures the detectors read), _crowdtangle,
                  _telegram, _zeeschuimer_items, _text
"""
