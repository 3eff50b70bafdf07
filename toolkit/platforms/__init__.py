"""What is known about each platform: URL identity and the detectors that read its pages.

    base.py, registry.py   the `Platform` contract (URL identity, `url_role`) and its registry
    <platform>.py          one per platform: facebook, instagram, telegram, tiktok, whatsapp, generic
    pages.py               one page parsed (`Page`) and what reading it gives (`PageReading`, `Verdict`)
    places.py              where markers may match on a page, and matching marker rules there
    roles.py               what a page is (an item's, a wall, not an item), decided before identity
    detect.py              `read_page`: the detector registry and the status decision
    detectors/             one detector per platform
    markers/               the marker wording as TOML data, read by markers/marker_rules.py
    counts.py              audience counts as platforms print them ("44 mil miembros", "1.2M")
"""

from toolkit.platforms.registry import get, identify, platform_for_url, platforms

__all__ = ["get", "identify", "platform_for_url", "platforms"]
