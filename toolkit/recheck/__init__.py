"""Rechecks in waves: observe tracked items again and append one check per observation.

    waves.py         the recheck lock on a case, default wave names, the per-wave summary
    addresses.py     which addresses a live recheck may connect to (never the researcher's own network)
    fetch.py         polite HTTP (per-host pacing, retries, redirects, capped bodies, cookies, proxy)
    reading.py       a response -> a status, through the item's platform detector and the safety guards
    live.py          live rechecks of many hosts at once, each check committed as it completes
    from_exports.py  rechecks from later exports and saved pages (scan, then match by identity)
    manual.py        the researcher's own look, one key per answer
    wayback.py       the Wayback Machine: last archived capture, read by the detector; Save Page Now
    canary.py        canary rounds: known-live items read first, so a blind run is not read as removals
    confirm.py       the confirmed state of each item per wave, from the raw checks

The same rechecks through a real browser are toolkit.browser.rechecks: the browser package builds on
this one (pacing, reading, canaries), never the other way round.
"""
