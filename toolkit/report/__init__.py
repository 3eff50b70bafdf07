"""`toolkit report`: removal rates with their uncertainty, time to removal, audience, seller networks.

    frame.py        the tidy frame (cohort item x wave) read from the case
    stats.py        shares with Wilson intervals, splits, Fisher's exact test
    survival.py     interval-censored time to removal (Turnbull)
    audience.py     followers/members over the waves
    networks.py     clusters of items sharing contact points
    redact.py       consistent masking of personal data
    stamp.py        the reproducibility stamp
    number_format.py  fixed formats of numbers, so a case gives the same bytes
    screenshots.py  the cohort's last screenshots (--screenshots)
    build.py        every number computed once -> Report
    headline.py     the TTP-style sentences
    document.py, methodology.py   the report as format-neutral blocks
    render_md.py, render_html.py (+ charts.py), render_tables.py   the outputs
    output.py       the formats asked for, rendered and written into a folder atomically
"""

from toolkit.report.output import FORMATS, parse_formats, render, write_report

__all__ = ["FORMATS", "parse_formats", "render", "write_report"]
