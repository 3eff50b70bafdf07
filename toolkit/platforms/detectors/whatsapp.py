"""WhatsApp click-to-chat (`wa.me/<number>`, `api.whatsapp.com/send`) and group invite pages
(`chat.whatsapp.com/<code>`). Positive evidence: the group's name, or the number itself shown
in the page's title or heading."""

from __future__ import annotations

import re

from toolkit.models import Capture, Kind, Status
from toolkit.platforms.detect import Detector, Evidence, Finding, register_detector
from toolkit.platforms.detectors._page_data import clean
from toolkit.platforms.pages import Page
from toolkit.platforms.places import Places
from toolkit.platforms.registry import get

# og:title values WhatsApp uses for every page, which name nothing.
GENERIC_TITLES = {"whatsapp group invite", "whatsapp", "share on whatsapp", "compartir en whatsapp",
                  "invitación a grupo de whatsapp", "convite para grupo do whatsapp", "invitation à un groupe whatsapp",
                  "whatsapp web", "whatsapp messenger"}


@register_detector
class WhatsAppDetector(Detector):
    platform = "whatsapp"
    version = "1"
    statuses = frozenset({Status.AVAILABLE, Status.UNAVAILABLE, Status.REMOVED, Status.RATE_LIMITED, Status.ERROR})

    def claims(self, page: Page) -> bool:
        return "whatsapp" in (page.meta.get("og:site_name", "") + (page.title or "")).lower()

    def inspect(self, page: Page, places: Places) -> Finding:
        whatsapp = get("whatsapp")
        ref = next((r for r in (whatsapp.identify(u) for u in (page.url, page.final_url, page.meta.get("og:url")) if u)
                    if r), None)
        if ref is None:
            return Finding([], None)
        og_title = clean(page.meta.get("og:title"))
        capture = Capture(item=ref, url=ref.url, text=clean(page.meta.get("og:description")))
        evidence = None
        if ref.kind in (Kind.GROUP, Kind.CHANNEL):
            heading = next((h for h in places.raw("heading") if h and h.lower() not in GENERIC_TITLES), None)
            name = og_title if og_title and og_title.lower() not in GENERIC_TITLES else heading
            if name:
                capture.name = name
                evidence = Evidence(name, "meta:og:title" if name == og_title else "heading")
        else:
            for place in ("title", "meta:og:title", "heading"):
                for text in places.raw(place):
                    # Number keys are E.164 ("+52..."); pages show the digits with any punctuation.
                    digits = ref.key.lstrip("+")
                    if digits.isdigit() and digits in re.sub(r"\D", "", text or ""):
                        evidence = Evidence(text, place)
                        break
                if evidence:
                    break
        return Finding([capture], evidence)
