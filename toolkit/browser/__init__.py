"""A real browser in the loop: Chromium driven through Playwright, for pages that serve plain HTTP
clients a login wall or an empty shell rendered by script.

    options.py   `[browser]` in case.toml, checked once: which Chromium, which profile, how long
                 to wait, what to keep
    engine.py    finding Chromium, launching it, and one visit: load, settle, scroll, read back
                 the rendered HTML, a screenshot (PNG) and an MHTML snapshot
    polite.py    visits paced per host (toolkit.recheck.fetch.Politeness), retried, and paused
                 when a host keeps answering with walls
    guard.py     the live recheck's address policy, applied to every request and redirect of a visit
    profile.py   the persistent profile kept outside the case, and the login session
    capture.py   `toolkit capture`: each visit stored as a source, read like a saved page
    rechecks.py  `recheck --method browser`: a wave of live rechecks through the browser, a
                 screenshot kept per check, paused per platform when its canaries stop reading live

Playwright is an optional extra (`pip install 'toolkit[browser]'`): it is imported only when a
browser starts, and its absence is a `BrowserMissing` error saying how to install it. Nothing here
prints; progress goes through callbacks.
"""
