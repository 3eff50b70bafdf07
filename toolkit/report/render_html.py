"""The report as one self-contained HTML file: inline CSS and SVG, no script, no network request.

Every text value goes through html.escape (page names are written by the people being reported
on); a Content-Security-Policy forbids any external load or script should one slip through. The
print stylesheet keeps tables and charts whole across pages when printed to PDF.
"""

from __future__ import annotations

import base64
from html import escape

from toolkit.neutralise import one_line
from toolkit.report import charts
from toolkit.report.blocks import Block, Bullets, Chart, Code, Heading, Image, Para, Table
from toolkit.report.build import Report
from toolkit.report.document import document

CSS = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #111; line-height: 1.45; }
h1, h2, h3 { font-family: Helvetica, Arial, sans-serif; line-height: 1.2; }
h2 { border-bottom: 1px solid #999; padding-bottom: .2rem; margin-top: 2.2rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .85rem; font-family: Helvetica, Arial, sans-serif; }
th, td { border: 1px solid #bbb; padding: .25rem .45rem; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td { overflow-wrap: anywhere; }
pre { background: #f6f6f6; padding: .6rem; font-size: .75rem; white-space: pre-wrap; overflow-wrap: anywhere; }
figure { margin: 1rem 0; }
ul.headline li { font-size: 1.1rem; margin-bottom: .5rem; }
figure.shot img { max-width: 100%; height: auto; border: 1px solid #bbb; }
figure.shot figcaption { font-size: .8rem; font-family: Helvetica, Arial, sans-serif; }
@media print {
  body { max-width: none; margin: 0; font-size: 10.5pt; }
  h2, h3 { break-after: avoid; }
  table, figure, pre, li { break-inside: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  svg { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"""

# No external resource, no script, no form, no base URL: the file is inert wherever it is opened.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


NUMERIC = ' class="n"'


def h(text: str) -> str:
    """Text escaped for HTML content and attributes, bidi overrides and controls made visible."""
    return escape(one_line(text), quote=True)


def render_html(report: Report) -> str:
    """The whole report as one HTML document."""
    title = f"Removal report: {report.case_name}"
    body = []
    previous: Block | None = None
    for block in document(report):
        body.append(_block(block, headline=isinstance(previous, Heading) and previous.text == "Headline"))
        previous = block
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n"
            f"<title>{h(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _block(block: Block, headline: bool = False) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{h(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        return f"<p>{h(block.text)}</p>"
    if isinstance(block, Bullets):
        cls = ' class="headline"' if headline else ""
        return f"<ul{cls}>" + "".join(f"<li>{h(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Table):
        head = "".join(f"<th scope=\"col\">{h(c)}</th>" for c in block.columns)
        rows = "".join("<tr>" + "".join(f"<td{NUMERIC if i in block.numeric else ''}>{h(v)}</td>"
                                        for i, v in enumerate(row)) + "</tr>" for row in block.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if isinstance(block, Code):
        return f"<pre>{escape(block.text)}</pre>"
    if isinstance(block, Chart):
        if not block.data:
            return ""
        return f"<figure>{charts.draw(block.kind, block.title, block.data)}</figure>"
    if isinstance(block, Image):
        caption = f"<figcaption>{h(block.caption)}<br><code>{h(block.path)}</code>" + (
            f"<br>{h(block.note)}" if block.note else "") + "</figcaption>"
        if block.png is None:
            return f"<figure class=\"shot\">{caption}</figure>"
        size = f' width="{int(block.width)}" height="{int(block.height)}"' if block.width and block.height else ""
        # Base64 has no character HTML needs escaped; the CSP allows images from data: URIs only.
        data = base64.b64encode(block.png).decode("ascii")
        return (f"<figure class=\"shot\"><img src=\"data:image/png;base64,{data}\" alt=\"{h(block.caption)}\"{size}>"
                f"{caption}</figure>")
    raise TypeError(f"unknown block {block!r}")
