"""Rechecks in waves: observe tracked items again and append one check per observation.

    waves.py    the recheck lock on a case, default wave names, the per-wave summary
    fetch.py    polite HTTP (per-host pacing, retries, redirects, capped bodies, cookies, proxy)
    reading.py  a response -> a status, through the item's platform detector and the safety guards
    live.py     live rechecks of many hosts at once, each check committed as it completes
    browser.py  the same through a real browser (toolkit.browser), a screenshot kept per check
    export.py   rechecks from later exports and saved pages (scan, then match by identity)
    manual.py   the researcher's own look, one key per answer
    wayback.py  the Wayback Machine: last archived capture, read by the detector; Save Page Now
    confirm.py  the confirmed state of each item per wave, from the raw checks
"""
