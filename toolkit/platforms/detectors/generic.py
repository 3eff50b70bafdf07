"""Generic web pages: og:/JSON-LD/title/text, and common "not found" / login wording."""

from __future__ import annotations

from toolkit.models import Capture, Status
from toolkit.platforms.detect import Detector, Evidence, Finding, register_detector
from toolkit.platforms.detectors._page_data import clean, first, json_ld, visible_text
from toolkit.platforms.pages import Page
from toolkit.platforms.places import Places

# A page with this much visible text shows content even without metadata.
MIN_CONTENT = 200


@register_detector
class GenericDetector(Detector):
    platform = "generic"
    version = "1"
    statuses = frozenset({Status.AVAILABLE, Status.UNAVAILABLE, Status.LOGIN_REQUIRED, Status.RESTRICTED,
                          Status.RATE_LIMITED, Status.ERROR})
    needles = (b"application/ld+json",)

    def inspect(self, page: Page, places: Places) -> Finding:
        ld = json_ld(page)
        ld_main = next((o for o in ld if o.get("headline") or o.get("name")), {})
        text = first(clean(page.meta.get("og:description")), clean(page.meta.get("description")),
                     clean(ld_main.get("articleBody") or ld_main.get("description")))
        body_text = visible_text(page) if page.tree is not None else None
        name = first(clean(page.meta.get("og:title")), clean(ld_main.get("headline") or ld_main.get("name")),
                     page.title)
        evidence = None
        if page.meta.get("og:url"):
            evidence = Evidence(page.meta["og:url"], "meta:og:url")
        elif page.meta.get("og:title"):
            evidence = Evidence(page.meta["og:title"], "meta:og:title")
        elif ld_main:
            evidence = Evidence(str(ld_main.get("@type") or "json-ld"), "json-ld")
        elif body_text and len(body_text) >= MIN_CONTENT:
            evidence = Evidence(f"{len(body_text)} characters of text", "text")
        url = page.url or page.final_url or page.meta.get("og:url") or page.canonical
        captures = []
        item = self.identify(url)
        if item is not None:
            captures.append(Capture(item=item, url=url, name=name, text=first(text, body_text),
                                    fields={k: v for k, v in {"og_url": page.meta.get("og:url"),
                                                              "canonical": page.canonical}.items() if v}))
        return Finding(captures, evidence)
