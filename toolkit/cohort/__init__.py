"""The cohort: confirming candidates by hand (reviews) and recording what was reported (notices).

    refs       items named by id or URL (canonicalised as in scan)
    csv_rows   spreadsheet CSV files read with line numbers (BOM, semicolons, CRLF)
    sheet      the review spreadsheet: export rows, import verdicts idempotently
    flagging   the flag operations: notices from arguments, a CSV file, or the confirmed cohort
               (the notice rows themselves: toolkit.store.notices)
    agreement  disagreements between reviewers and Cohen's kappa
    session    the review screen's walk over candidates, one committed verdict at a time
"""
