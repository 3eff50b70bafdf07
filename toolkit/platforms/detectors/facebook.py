"""Facebook pages as saved or fetched: www (Comet), m. and mbasic. layouts.

Identity comes from the page's own metadata when it has it: `og:url` / canonical link through
`identify()`, the app link `al:android:url` (`fb://page|group|profile/<id>`), mbasic/m `data-ft`
JSON (`top_level_post_id`, `page_id`, `page_insights`), and Marketplace inline JSON. Positive
evidence is one of those ids or a JSON-LD SocialMediaPosting; a login overlay over such a page
does not hide it. Walls and pages that are not items never reach `inspect` (see roles.py); what
counts as evidence for each kind is written down in docs/detectors.md.

A post's parent is the page or group it was posted in (a group post's is the group, in every URL
form and in `data-ft`'s `page_insights`); the person who wrote it in a group is recorded beside
it (`author_id`, `author_name`), never as its parent.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import orjson

from toolkit.dates import from_unix
from toolkit.models import Capture, ItemRef, Kind, Status
from toolkit.platforms.counts import find_counts
from toolkit.platforms.detect import Detector, Evidence, Finding, register_detector
from toolkit.platforms.detectors._page_data import clean, first, json_ld, visible_text
from toolkit.platforms.detectors.facebook_details import MARKETPLACE_TYPENAME, marketplace_listing, page_details
from toolkit.platforms.facebook import BASE, group_ref, page_ref, post_ref
from toolkit.platforms.pages import Page
from toolkit.platforms.places import Places
from toolkit.platforms.registry import get

APP_LINK = re.compile(r"^fb://(page|group|profile)/(?:\?id=)?(\d+)")
APP_KINDS = {"page": Kind.PAGE, "group": Kind.GROUP, "profile": Kind.PROFILE}
_DATA_FT_XPATH = ("(//div[@id='m_story_permalink_view']//*[contains(@data-ft, 'top_level_post_id')]/@data-ft"
                  " | //*[contains(@data-ft, 'top_level_post_id') or contains(@data-ft, 'page_id')]/@data-ft)")
ITEM_KINDS = (Kind.POST, Kind.LISTING, Kind.VIDEO)
# The label of Marketplace's grid of listings on search, category and feed pages (www, 2023-2026).
MARKETPLACE_COLLECTION = b"Collection of Marketplace items"
_TITLE_SUFFIX = re.compile(r"\s*\|\s*Facebook\s*$")
_GROUP_SUFFIX = re.compile(r"\s+(?:public group|private group|grupo público|grupo privado)$", re.I)


def _platform_identify(url: str | None) -> ItemRef | None:
    """The Facebook item a URL names, or None (unlike registry.identify, no generic fallback)."""
    if not url:
        return None
    facebook = get("facebook")
    return facebook.identify(url) if facebook else None


def _data_ft(page: Page) -> dict:
    """The first mbasic/m `data-ft` JSON carrying a post or page id (the permalink's own first)."""
    if page.tree is None or not page.has(b"data-ft"):
        return {}
    found = page.tree.xpath(_DATA_FT_XPATH)
    for raw in found[:2]:
        try:
            value = orjson.loads(str(raw))
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return {}


@register_detector
class FacebookDetector(Detector):
    platform = "facebook"
    version = "1"
    statuses = frozenset({Status.AVAILABLE, Status.UNAVAILABLE, Status.LOGIN_REQUIRED, Status.RESTRICTED,
                          Status.RATE_LIMITED, Status.SOLD, Status.ERROR})
    needles = (b"data-ft", b"m_story_permalink_view", b"<article", b"application/ld+json", MARKETPLACE_TYPENAME,
               MARKETPLACE_COLLECTION, b"BrowseResultsContainer")
    # Marketplace's grid of listings (search, category, feed), mbasic search results, a feed.
    results = (f"[aria-label={MARKETPLACE_COLLECTION.decode()}]", "#BrowseResultsContainer", "[role=feed]")
    # A post's text is in its <title> ("<page> - <text> | Facebook"); notice pages show no evidence.
    quotes = True

    def claims(self, page: Page) -> bool:
        return (page.meta.get("og:site_name", "").lower() == "facebook"
                or page.meta.get("al:android:package") == "com.facebook.katana"
                or (page.title or "").endswith("| Facebook")
                # m./mbasic story markup: `data-ft` JSON with Facebook's own post key.
                or (page.has(b"data-ft") and page.has(b"top_level_post_id")))

    def listing_page(self, page: Page, places: Places) -> tuple[str, str, str] | None:
        """Marketplace's grid of listings, or mbasic's search results container: a page of items."""
        if page.has(MARKETPLACE_COLLECTION) and places.present(self.results[0]):
            return "marketplace-search", MARKETPLACE_COLLECTION.decode(), f"container:{self.results[0]}"
        if page.has(b"BrowseResultsContainer") and places.present("#BrowseResultsContainer"):
            return "search", "BrowseResultsContainer", "container:#BrowseResultsContainer"
        return None

    def places(self, page: Page) -> Places:
        places = Places(page)
        listing = marketplace_listing(page, _platform_identify(page.url) or _platform_identify(page.final_url))
        if listing:
            places.add("json:marketplace_state", [k for k in ("is_sold", "is_pending") if listing.get(k)])
        places.data["listing"] = listing
        return places

    def inspect(self, page: Page, places: Places) -> Finding:
        meta = page.meta
        og_ref = _platform_identify(meta.get("og:url")) or _platform_identify(page.canonical)
        app = APP_LINK.match(meta.get("al:android:url", "") or meta.get("al:ios:url", ""))
        app_ref = _app_ref(app.group(1), app.group(2), og_ref) if app else None
        ft = _data_ft(page)
        ld = next((o for o in json_ld(page) if o.get("@type") in ("SocialMediaPosting", "Article", "DiscussionForumPosting")), None)
        listing = places.data.get("listing")
        requested = _platform_identify(page.url) or _platform_identify(page.final_url)

        # A post, listing or video asked for is only shown when the page names a post, listing or
        # video: the group or page around it (its app link) is not evidence for the item.
        wants_item = requested is not None and requested.kind in ITEM_KINDS
        if wants_item:
            app_ref = app_ref if (og_ref and og_ref.kind in ITEM_KINDS) or ld or ft.get("top_level_post_id") else None
        evidence = None
        if listing:
            evidence = Evidence(f"listing {listing['id']}", "json:GroupCommerceProductItem")
        elif app_ref:
            evidence = Evidence(meta.get("al:android:url") or meta.get("al:ios:url"), "meta:al:android:url")
        elif ld:
            evidence = Evidence(str(ld.get("@type")), "json-ld")
        elif ft.get("top_level_post_id") and page.has(b"m_story_permalink_view"):
            evidence = Evidence(f"top_level_post_id {ft['top_level_post_id']}", "data-ft")
        elif og_ref and meta.get("og:url") and (not wants_item or og_ref.kind in ITEM_KINDS):
            evidence = Evidence(meta["og:url"], "meta:og:url")
        elif og_ref and page.canonical and (meta.get("og:title") or meta.get("description")) and (
                not wants_item or og_ref.kind in ITEM_KINDS):
            evidence = Evidence(page.canonical, "canonical")
        elif ft.get("page_id") and not wants_item:
            evidence = Evidence(f"page_id {ft['page_id']}", "data-ft")

        if listing:
            return Finding([listing_capture(listing, requested)], evidence)
        permalink = page.has(b"m_story_permalink_view") or not (og_ref or app_ref or requested)
        main_ref = self._main_ref(og_ref, app_ref, ft, requested, permalink)
        if main_ref is None:
            return Finding([], evidence)
        name = clean(meta.get("og:title")) or (clean(_TITLE_SUFFIX.sub("", page.title)) if page.title else None)
        if name and main_ref.kind == Kind.GROUP:
            name = _GROUP_SUFFIX.sub("", name)
        description = first(clean(meta.get("og:description")), clean(meta.get("description")))
        captures: list[Capture] = []
        if main_ref.kind in ITEM_KINDS:
            parent_ref = self._parent_ref(main_ref, og_ref, app_ref, ft, ld, page)
            text = first(clean(ld.get("articleBody")) if ld else None, _story_text(page), description)
            post = Capture(item=main_ref, url=main_ref.url, parent=parent_ref, text=text,
                           created_at=_post_time(ld, ft))
            if ld:
                post.likes = _interaction(ld, "LikeAction")
                post.fields.update({k: v for k, v in {
                    "comments": _interaction(ld, "CommentAction"), "shares": _interaction(ld, "ShareAction"),
                    "headline": clean(ld.get("headline"))}.items() if v is not None})
            captures.append(post)
            author = (ld or {}).get("author")
            author_name = clean(author["name"]) if isinstance(author, dict) and author.get("name") else _story_author(page)
            if parent_ref is not None and parent_ref.kind == Kind.GROUP:
                # In a group the writer is a member, not the group: kept beside the post.
                author_id = _ft_author(ft)
                post.fields.update({k: v for k, v in {"author_id": author_id, "author_name": author_name}.items() if v})
            if parent_ref is not None:
                parent_name = clean(meta.get("og:title")) if og_ref and og_ref.kind in ITEM_KINDS else None
                if parent_ref.kind != Kind.GROUP:
                    parent_name = author_name or parent_name
                elif not parent_name and page.title:
                    # "<group> public group | Facebook"; an mbasic title is the post's text instead.
                    title = _TITLE_SUFFIX.sub("", page.title)
                    parent_name = clean(title) if _GROUP_SUFFIX.search(title) else None
                if parent_name and parent_ref.kind == Kind.GROUP:
                    parent_name = _GROUP_SUFFIX.sub("", _TITLE_SUFFIX.sub("", parent_name).split(" : ")[0]).strip()
                if parent_name:
                    captures.append(Capture(item=parent_ref, url=parent_ref.url, name=parent_name,
                                            status_marker=evidence.marker if evidence else None,
                                            status_place=evidence.place if evidence else None))
        else:
            details = page_details(page, places)
            counts = details.counts | find_counts(description)  # the page's own description wins
            capture = Capture(item=main_ref, url=main_ref.url, name=name, text=description,
                              followers=counts.get("followers"), members=counts.get("members"),
                              likes=counts.get("likes"), created_at=details.created_at, country=details.country)
            if og_ref and og_ref.key != main_ref.key:
                capture.fields["alias"] = og_ref.url
            if app_ref and app_ref.key != main_ref.key:
                capture.fields["facebook_id"] = app_ref.key
                capture.fields["facebook_type"] = str(app_ref.kind)
            capture.aliases = _aliases(main_ref, og_ref, app_ref, ft)
            captures.append(capture)
            captures.extend(_feed_posts(page, main_ref, evidence))
        return Finding(captures, evidence)

    @staticmethod
    def _main_ref(og_ref, app_ref, ft, requested, permalink: bool) -> ItemRef | None:
        if og_ref and og_ref.kind in ITEM_KINDS:
            return og_ref
        if ft.get("top_level_post_id") and permalink and (requested is None or requested.kind not in ITEM_KINDS):
            return post_ref(str(ft["top_level_post_id"]), _ft_owner(ft))
        if requested and requested.kind in ITEM_KINDS:
            return requested
        if requested is not None:
            # The URL's identity wins over the page's numeric id, so every saved copy of one URL
            # (including a later "not available" copy, which has no id) is the same item.
            return requested
        # Without one, the page's own address (og:url) names it and its app link's id is a claim
        # beside it (an alias the store checks against what the case knows), never the other way:
        # a copy that says it is another page's id must not land on that page.
        return og_ref or app_ref

    @staticmethod
    def _parent_ref(main_ref, og_ref, app_ref, ft, ld, page) -> ItemRef | None:
        """The post's page or group: from its URL first (as URL lists would name it), else ids."""
        facebook = get("facebook")
        for url in (page.meta.get("og:url"), page.canonical, main_ref.url, page.url):
            if not url:
                continue
            parent = facebook.parent_of(url) if facebook else None
            if parent:
                return parent
            # story.php / permalink.php name the owner in `id=` (a page; the URL cannot tell a group).
            path = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower()
            owner = parse_qs(url.split("?", 1)[1]).get("id", [None])[0] if "?" in url else None
            if path in {"story.php", "permalink.php"} and owner and owner.isdigit():
                return ItemRef("facebook", Kind.PAGE, owner, f"{BASE}/{owner}")
        if app_ref and app_ref.kind in (Kind.GROUP, Kind.PAGE, Kind.PROFILE):
            return app_ref
        owner = _ft_owner(ft)
        if owner is not None:
            return owner
        if ft.get("content_owner_id_new") and not ft.get("page_insights"):
            author_id = str(ft["content_owner_id_new"])
            return ItemRef("facebook", Kind.PAGE, author_id, f"{BASE}/{author_id}")
        author = (ld or {}).get("author")
        if isinstance(author, dict) and author.get("url"):
            return _platform_identify(author["url"])
        return None


# Facebook URLs do not tell a page from a profile (both are kind `page`, see platforms/facebook.py), so
# an app link to fb://profile/<id> names the same item as a page URL.
_SAME_KIND = {Kind.PAGE: (Kind.PAGE, Kind.PROFILE), Kind.GROUP: (Kind.GROUP,)}


def _aliases(main_ref: ItemRef, og_ref: ItemRef | None, app_ref: ItemRef | None, ft: dict) -> tuple[str, ...]:
    """Other keys the page shows for the page or group it is: the numeric id of its app link or
    `data-ft` page_id beside a vanity URL, or the og:url's vanity beside a numeric URL."""
    kinds = _SAME_KIND.get(main_ref.kind, ())
    keys: list[str] = []
    if app_ref is not None and app_ref.kind in kinds:
        keys.append(app_ref.key)
    if main_ref.kind == Kind.PAGE and str(ft.get("page_id") or "").isdigit():
        keys.append(str(ft["page_id"]))
    if og_ref is not None and og_ref.kind == main_ref.kind:
        keys.append(og_ref.key)
    return tuple(dict.fromkeys(k for k in keys if k != main_ref.key))


def _ft_owner(ft: dict) -> ItemRef | None:
    """The page or group a `data-ft` story belongs to: `page_insights` says which (`page_id_type`
    group or page); a bare `page_id` is a page."""
    insights = ft.get("page_insights")
    if isinstance(insights, dict):
        for key, insight in insights.items():
            if not isinstance(insight, dict):
                continue
            owner = str(insight.get("page_id") or key)
            if owner.isdigit():
                return group_ref(owner) if insight.get("page_id_type") == "group" else page_ref(owner)
    if str(ft.get("group_id") or "").isdigit():
        return group_ref(str(ft["group_id"]))
    owner = str(ft.get("page_id") or "")
    return page_ref(owner) if owner.isdigit() else None


def _ft_author(ft: dict) -> str | None:
    """Who wrote a `data-ft` story (the member who posted in a group)."""
    insights = ft.get("page_insights")
    if isinstance(insights, dict):
        for insight in insights.values():
            if isinstance(insight, dict) and str(insight.get("actor_id") or "").isdigit():
                return str(insight["actor_id"])
    owner = str(ft.get("content_owner_id_new") or "")
    return owner if owner.isdigit() else None


def _app_ref(kind: str, number: str, og_ref: ItemRef | None) -> ItemRef:
    """The page, group or profile an app link names, with the og:url as its address when they agree."""
    kind_ = APP_KINDS[kind]
    if og_ref is not None and og_ref.kind == kind_ and og_ref.key in (number, og_ref.key.lower()) and og_ref.url:
        url = og_ref.url
    else:
        url = {Kind.GROUP: f"{BASE}/groups/{number}", Kind.PROFILE: f"{BASE}/profile.php?id={number}"}.get(
            kind_, f"{BASE}/{number}")
    return ItemRef("facebook", kind_, number, url)


def listing_capture(listing: dict, requested: ItemRef | None) -> Capture:
    item = ItemRef("facebook", Kind.LISTING, listing["id"], f"{BASE}/marketplace/item/{listing['id']}")
    seller = listing.get("seller") or {}
    parent = ItemRef("facebook", Kind.PROFILE, seller["id"], f"{BASE}/profile.php?id={seller['id']}") if seller.get("id") else None
    fields = {k: listing[k] for k in ("price", "currency", "price_text", "location", "seller_name") if listing.get(k) is not None}
    return Capture(item=item, url=item.url, parent=parent, name=listing.get("title"), text=listing.get("description"),
                   created_at=listing.get("created_at"), fields=fields)


MAX_FEED_POSTS = 500


def _feed_posts(page: Page, owner: ItemRef, evidence: Evidence | None) -> list[Capture]:
    """The posts a page or group timeline shows in m./mbasic layouts (`<article data-ft=...>`)."""
    if page.tree is None or not page.has(b"<article"):
        return []
    posts: list[Capture] = []
    seen: set[str] = set()
    for node in page.tree.iterfind(".//article[@data-ft]"):
        try:
            ft = orjson.loads(node.get("data-ft") or "{}")
        except orjson.JSONDecodeError:
            continue
        post_id = str(ft.get("top_level_post_id") or "") if isinstance(ft, dict) else ""
        if not post_id.isdigit() or post_id in seen:
            continue
        seen.add(post_id)
        body = node.xpath(".//div[contains(@data-ft, '\"tn\":\"*s\"')]") or node.xpath(".//p/..")
        url = (f"{BASE}/groups/{owner.key}/posts/{post_id}" if owner.kind == Kind.GROUP
               else f"{BASE}/{owner.key}/posts/{post_id}")
        posts.append(Capture(item=ItemRef("facebook", Kind.POST, post_id, url), url=url, parent=owner,
                             text=visible_text(page, body[0]) if body else None, created_at=_post_time(None, ft),
                             status_marker=f"top_level_post_id {post_id}", status_place="data-ft"))
        if len(posts) >= MAX_FEED_POSTS:
            break
    return posts


def _story_text(page: Page) -> str | None:
    """The post text in m./mbasic layouts (the `data-ft` `"tn":"*s"` block)."""
    if page.tree is None or not page.has(b"data-ft"):
        return None
    nodes = page.tree.xpath("//div[@id='m_story_permalink_view']//div[contains(@data-ft, '\"tn\":\"*s\"')]"
                            " | //article//div[contains(@data-ft, '\"tn\":\"*s\"')]")
    return visible_text(page, nodes[0]) if nodes else None


def _story_author(page: Page) -> str | None:
    if page.tree is None:
        return None
    nodes = page.tree.xpath("//div[@id='m_story_permalink_view']//h3//strong//a | //article//header//h3//strong//a")
    return clean(nodes[0].text_content()) if nodes else None


def _post_time(ld: dict | None, ft: dict) -> str | None:
    if ld and (ld.get("dateCreated") or ld.get("datePublished")):
        from toolkit.dates import parse_iso, to_utc_iso

        moment = parse_iso(str(ld.get("dateCreated") or ld.get("datePublished")))
        return to_utc_iso(moment) if moment else None
    for insight in (ft.get("page_insights") or {}).values():
        published = (insight.get("post_context") or {}).get("publish_time") if isinstance(insight, dict) else None
        if published:
            return from_unix(published)
    return None


def _interaction(ld: dict, action: str) -> int | None:
    stats = ld.get("interactionStatistic") or []
    for stat in stats if isinstance(stats, list) else [stats]:
        kind = stat.get("interactionType") if isinstance(stat, dict) else None
        kind = kind.get("@type") if isinstance(kind, dict) else kind
        if kind and str(kind).endswith(action):
            try:
                return int(stat.get("userInteractionCount"))
            except (TypeError, ValueError):
                return None
    return None
