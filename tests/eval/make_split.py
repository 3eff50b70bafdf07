"""Split tests/eval/texts.csv once, by source, into dev.csv and holdout.csv (run once; kept for the record).

Every text carries the address (or citation) of the public page it was quoted from. Texts are grouped
by *origin*: the site the page is on, with syndicated copies of one original report merged into one
origin (an AP story republished by five sites is one origin), so that the same ad quoted twice, or
two translations of it, never sit on both sides. Each origin goes wholly to dev or to holdout: its
sha256(origin + SALT) decides, holdout when the first byte is below HOLDOUT_SHARE * 256. The salt is
fixed; the split was made once, before any lexicon change, and is not to be redrawn after looking at
results (that would be tuning on the holdout).

    python tests/eval/make_split.py     # rewrites dev.csv and holdout.csv from texts.csv
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
SALT = "toolkit-eval-2026-12"
HOLDOUT_SHARE = 0.4
FIELDS = ["text", "label", "language", "source", "citation"]

# Sites that republished one original report: grouped under that report.
SYNDICATED = {
    "AP 2025 TikTok smugglers": ["voxpopulinoticias.com.mx", "lacartita.com", "enbreve.mx",
                                 "www.humanandnonhumancommunicationlab.com", "newsercdn.azureedge.net",
                                 "dailyexcelsior.com"],
    "NBC News Apr 2021 Facebook ads": ["northcountyimmigration.com", "www.aicfoundation.com", "www.dailywire.com",
                                       "www.theyucatantimes.com", "www1.cbn.com", "acheiusa.com", "www.ksat.com",
                                       "www.alipac.us"],
    "AFP Mar 2023 TikTok coyotes": ["mundopoder.com", "ejecentral.com.mx", "nmas.com.mx"],
    "TTP Jun 2021": ["www.techtransparencyproject.org", "techtransparencyproject.org", "yourdestinationnow.com",
                     "campaignforaccountability.org"],
    "La Prensa de Lara Jul 2022": ["www.venezuelaawareness.com"],
    "El Sol de Mexico Mar 2022 TikTok polleros": ["diarioelindependiente.mx", "centralnewshn.com"],
    "Fox News / Washington Examiner driver ads": ["americanmilitarynews.com", "www.washingtonexaminer.com",
                                                  "highergroundtimes.com", "www.thisnation.com", "thenewamerican.com"],
    "DOJ Arizona Aug 2023": ["ktar.com", "www.azfamily.com", "www.hstoday.us", "(no address)"],
    "El Colombiano 2019 tusi": ["elcolombiano.com", "notisegovia.com"],
    "Sky News Nov 2021 Channel": ["theoneworldnews.com", "sputniknews.com"],
    "Telegraph/NCA 2025 discounts": ["www.daily8.com", "amedpost.com"],
    "Meta drug ads 2024": ["rednationtoday.com", "gigazine.net", "tech.co", "trafficking.news"],
    "Colmex 2025 TikTok recruitment": ["www.ejecentral.com.mx", "fabricadeperiodismo.com", "newsweekespanol.com",
                                       "macronews.mx", "doctorjnoticias.com"],
    "Reuters/AP Sep 2021 Haitians": ["www.streetregister.com", "bnc.tv"],
    "Reuters 2014 Honduras coyotes": ["archivo.gestion.pe", "www.eleconomista.es"],
    "PF Operacao Coyote Feb 2023": ["www.gazetanews.com", "folhavitoria.com.br", "www.em.com.br"],
    "PF Operacao Coiote 2018": ["terra.com.br", "brasil.estadao.com.br"],
    "O Globo Apr 2022 coiotes": ["oglobo.globo.com", "ultimosegundo.ig.com.br"],
    "DEA Dec 2021 social media": ["lainfojos.com", "www.revistazocalo.com", "www.thewellnews.com"],
    "Rio X cannabis May 2025": ["plox.com.br", "newsgyn.com.br"],
    "Coyotes in Monterrey 2025": ["pulsoregio.com", "impactoregio.com"],
    "TikTok polleros Vanguardia/Eje 2025": [],
}
ORIGIN = {site: origin for origin, sites in SYNDICATED.items() for site in sites}


def origin(source: str) -> str:
    site = urlparse(source).netloc if source.startswith("http") else "(no address)"
    site = site.removeprefix("www.") if site not in ORIGIN else site
    return ORIGIN.get(site, ORIGIN.get("www." + site, site))


def side(group: str) -> str:
    first = hashlib.sha256((group + SALT).encode()).digest()[0]
    return "holdout" if first < HOLDOUT_SHARE * 256 else "dev"


def main() -> None:
    with (HERE / "texts.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out: dict[str, list[dict]] = {"dev": [], "holdout": []}
    for row in rows:
        out[side(origin(row["source"]))].append(row)
    for name, kept in out.items():
        with (HERE / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: row[k] for k in FIELDS} for row in kept)
        labels: dict[str, int] = {}
        for row in kept:
            labels[row["label"]] = labels.get(row["label"], 0) + 1
        print(name, len(kept), dict(sorted(labels.items())))


if __name__ == "__main__":
    main()
