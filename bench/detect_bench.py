"""Benchmark: saved-page reading (read_page) on generated Facebook-style pages.

Generates N pages of about SIZE bytes in the shape of logged-out Comet pages (meta tags, app
links, large inline JSON script blocks, class-heavy markup, a login overlay), with a mix of
available pages/groups/posts, "content isn't available" notices and login walls, then reads
each with `read_page` in one process and prints pages/s and MB/s, beside lxml parsing alone.

    PYTHONPATH=. python bench/detect_bench.py            # 1,000 pages of ~300 KB (the target size)
    PYTHONPATH=. python bench/detect_bench.py --pages 200 --size 100000
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter

CLASSES = ["x1i10hfl", "xjbqb8w", "x6umtig", "x1b1mbwd", "xaqea5y", "xav7gou", "x9f619", "x1ypdohk", "xt0psk2",
           "xe8uvvx", "xdj266r", "x11i5rnm", "xat24cr", "x1mh8g0r", "xexx8yu", "x4uap5", "x18d9i69", "xkhd6sd"]
WORDS = ["viaje", "cruce", "seguro", "salida", "frontera", "familia", "precio", "lugares", "informes", "whatsapp", "norte", "garantizado", "semana", "grupo", "pago", "llegada", "camino", "ruta", "documentos", "apoyo", "confianza"]


def _classes(rng: random.Random) -> str:
    return " ".join(rng.sample(CLASSES, 8))


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _script_block(rng: random.Random, size: int) -> str:
    payload = {"require": [["ScheduledServerJS", "handle", None, [{"__bbox": {"define": [
        [f"Module{rng.randrange(10**6)}", [], {"key": "".join(rng.choices("abcdef0123456789", k=size // 2))}, rng.randrange(999)]
    ]}}]]]}
    return f'<script type="application/json" data-content-len="{size}" data-sjs>{json.dumps(payload)}</script>\n'


BATCH = 100


def make_page(index: int, size: int) -> tuple[str, str, str]:
    """One page: (html, url, expected status)."""
    rng = random.Random(index)
    kind = rng.choices(["page", "group", "post", "unavailable", "login"], weights=[40, 20, 20, 10, 10])[0]
    page_id = 100064000000000 + index
    vanity = f"viajes.norte.{index}"
    head = ['<!DOCTYPE html><html id="facebook" class="_9dls" lang="es" dir="ltr"><head><meta charset="utf-8">']
    body = ['<body class="_6s5d _71pn system-fonts--body segoe"><div id="mount_0_0_Ab">',
            f'<div class="{_classes(rng)}" role="banner"><a aria-label="Facebook" href="/">Facebook</a></div>']
    if kind in ("page", "group", "post"):
        name = f"Viajes Norte {index}"
        app = f"fb://group/{page_id}" if kind == "group" else f"fb://page/{page_id}"
        url = (f"https://www.facebook.com/groups/{vanity}/" if kind == "group" else
               f"https://www.facebook.com/{vanity}/posts/{page_id + 7}" if kind == "post" else
               f"https://www.facebook.com/{vanity}/")
        head += [f"<title>{name} | Facebook</title>",
                 f'<meta property="og:title" content="{name}">',
                 f'<meta property="og:url" content="{url}">',
                 f'<meta property="og:description" content="{name}. {rng.randrange(1, 99)},{rng.randrange(9)} K seguidores. {_sentence(rng, 20)}">',
                 f'<meta property="al:android:url" content="{app}">',
                 '<meta property="al:android:package" content="com.facebook.katana">']
        if kind == "post":
            head.append('<script type="application/ld+json">' + json.dumps({
                "@context": "https://schema.org", "@type": "SocialMediaPosting", "dateCreated": "2024-04-10T14:03:22-06:00",
                "articleBody": _sentence(rng, 40), "author": {"@type": "Organization", "name": name, "url": f"https://www.facebook.com/{vanity}"},
                "interactionStatistic": [{"@type": "InteractionCounter", "interactionType": "https://schema.org/LikeAction",
                                          "userInteractionCount": rng.randrange(5000)}]}) + "</script>")
        body.append(f'<div role="main"><h1 class="{_classes(rng)}">{name}</h1>')
        for _ in range(12):
            body.append(f'<div role="article" class="{_classes(rng)}"><div class="{_classes(rng)}"><span dir="auto">'
                        f'{_sentence(rng, 35)}</span></div><div class="{_classes(rng)}"><span>{rng.randrange(500)} Me gusta</span>'
                        f'<span>{rng.randrange(90)} comentarios</span></div></div>')
        body.append("</div>")
        expected = "available"
    elif kind == "unavailable":
        url = f"https://www.facebook.com/{vanity}/posts/{page_id + 7}"
        head.append("<title>Facebook</title>")
        body.append(f'<div role="main"><div class="{_classes(rng)}"><span class="{_classes(rng)}" dir="auto">'
                    "Este contenido no está disponible en este momento</span><span dir=\"auto\">Por lo general, esto sucede "
                    "porque el propietario solo compartió el contenido con un grupo reducido de personas, cambió quién puede "
                    "verlo o este se eliminó.</span></div></div>")
        expected = "unavailable"
    else:
        url = f"https://www.facebook.com/{vanity}/"
        head.append("<title>Inicia sesión en Facebook</title>")
        expected = "login_required"
    body.append('<div class="x9f619"><div data-testid="royal_login_button" role="button">Iniciar sesión</div>'
                '<form id="login_form" action="/login/" method="post"><input name="email"><input name="pass" type="password">'
                "</form></div>")
    # Filler markup and inline JSON until the page reaches its size, as Comet pages do.
    filler_html = []
    while sum(map(len, filler_html)) < size * 0.25:
        filler_html.append(f'<div class="{_classes(rng)}"><div class="{_classes(rng)}"><span class="{_classes(rng)}">'
                           f"{_sentence(rng, 4)}</span></div></div>")
    body += filler_html
    scripts = []
    while sum(map(len, head)) + sum(map(len, body)) + sum(map(len, scripts)) < size:
        scripts.append(_script_block(rng, 12_000))
    html = "\n".join(head) + "\n</head>\n" + "\n".join(body) + "\n" + "".join(scripts) + "</div></body></html>\n"
    return html, url, expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--size", type=int, default=300_000, help="approximate bytes per page")
    args = parser.parse_args()

    from toolkit.platforms.detect import read_page
    from toolkit.platforms.pages import parse_page

    # Pages are generated in batches outside the timed parts, so memory stays small at any count.
    first_html, first_url, _ = make_page(0, args.size)
    read_page(first_html.encode("utf-8"), first_url)  # load detectors and markers once, untimed
    total = 0
    parse_seconds = seconds = cpu = 0.0
    outcomes: Counter[str] = Counter()
    wrong = 0
    for batch_start in range(0, args.pages, BATCH):
        batch = [make_page(i, args.size) for i in range(batch_start, min(args.pages, batch_start + BATCH))]
        bodies = [(html.encode("utf-8"), url, expected) for html, url, expected in batch]
        total += sum(len(b) for b, _, _ in bodies)
        start = time.perf_counter()
        for body, url, _ in bodies:
            parse_page(body, url)
        parse_seconds += time.perf_counter() - start
        start, cpu_start = time.perf_counter(), time.process_time()
        for body, url, expected in bodies:
            status = read_page(body, url).verdict.status
            outcomes[str(status)] += 1
            wrong += status != expected
        seconds += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
    count = args.pages

    mb = total / 1e6
    print(f"pages: {count}, average {total / count / 1000:.0f} KB, total {mb:.1f} MB")
    print(f"parse_page only: {count / parse_seconds:,.0f} pages/s, {mb / parse_seconds:.1f} MB/s")
    print(f"read_page:       {count / seconds:,.0f} pages/s, {mb / seconds:.1f} MB/s wall clock "
          f"({seconds / count * 1000:.2f} ms/page, one process)")
    # CPU time is the per-core figure: wall clock also counts time other processes took the core.
    print(f"read_page:       {count / cpu:,.0f} pages/s per core of CPU time, {mb / cpu:.1f} MB/s "
          f"({cpu / count * 1000:.2f} ms/page)")
    print(f"statuses: {dict(sorted(outcomes.items()))}; differing from the generated truth: {wrong}")


if __name__ == "__main__":
    main()
