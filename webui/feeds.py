"""Atom feeds of any search, and citations of articles and result lists (GB/T 7714, RIS, BibTeX)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ET

from flask import Response, abort, request, stream_with_context, url_for

from indexer.citation import BIBTEX_MIMETYPE, RIS_MIMETYPE, CitedArticle, bibtex, gbt7714, ris
from indexer.search import Hit, hit_from_stored, search
from webui import export, search_page
from webui.context import get_engine, get_settings, search_request

ATOM = "http://www.w3.org/2005/Atom"
ATOM_MIMETYPE = "application/atom+xml"
FEED_SIZE = 50
# The bulletin's dates are Wenzhou's; a date alone becomes its midnight there.
WENZHOU = dt.timezone(dt.timedelta(hours=8))
# Ids stay the same wherever the site is served (a host name would change them): name-based UUIDs.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/bulletin-search")
# Characters XML 1.0 forbids (controls such as NUL from a query or an archive file): ElementTree writes
# them as they are, and a feed reader then rejects the whole document.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Atom as the default namespace, so elements are written <entry>, not <ns0:entry>.
ET.register_namespace("", ATOM)


def _urn(*parts: str) -> str:
    return uuid.uuid5(ID_NAMESPACE, "/".join(parts)).urn


def _timestamp(date: str) -> str:
    return dt.datetime.fromisoformat(date).replace(tzinfo=WENZHOU).isoformat()


def _xml_text(text: str) -> str:
    return NOT_XML.sub("", text)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(
        parent, f"{{{ATOM}}}{tag}", {name: _xml_text(value) for name, value in attributes.items()}
    )
    element.text = None if text is None else _xml_text(text)
    return element


def atom_feed(
    title: str, feed_id: str, self_url: str, page_url: str, publication: str, hits: tuple[Hit, ...]
) -> bytes:
    """An Atom 1.0 document of the hits; ElementTree escapes every text and attribute."""
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "zh-CN"})
    _add(feed, "title", title)
    _add(feed, "id", feed_id)
    # The newest article's date: a feed of the same articles keeps the same `updated`.
    _add(feed, "updated", _timestamp(max((hit.date for hit in hits), default="2000-01-01")))
    _add(feed, "link", rel="self", type=ATOM_MIMETYPE, href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    _add(_add(feed, "author"), "name", publication)
    _add(feed, "generator", "bulletin-search")
    for hit in hits:
        entry = _add(feed, "entry")
        _add(entry, "title", hit.title)
        _add(entry, "link", rel="alternate", type="text/html", href=_absolute_article_url(hit.id))
        _add(entry, "id", _urn(publication, "article", hit.id))
        _add(entry, "updated", _timestamp(hit.date))
        _add(entry, "published", _timestamp(hit.date))
        _add(_add(entry, "author"), "name", hit.department or publication)
        _add(entry, "summary", export.plain_snippet(hit), type="text")
        for county in hit.counties:
            _add(entry, "category", term=county, label=county)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _absolute_article_url(article_id: str) -> str:
    return url_for("pages.article", article_id=article_id, _external=True)


def search_atom():
    """The newest FEED_SIZE articles of the search, whatever order the search page asks for."""
    settings = get_settings()
    search_params = search_request(request.args)
    newest = search_params.changed(sort="newest", page=1, per_page=FEED_SIZE)
    result = search(settings, newest, get_engine())
    labels = [chip["label"] for chip in search_page.chips(search_params)]
    title = f"{settings.domain.publication} · {' '.join(labels) if labels else '最新文章'}"
    params = "&".join(f"{name}={value}" for name, value in sorted(newest.params(sort=None, per_page=None)))
    document = atom_feed(
        title,
        _urn(settings.domain.publication, "search", params),
        request.url,
        request.host_url.rstrip("/") + search_page.search_url(search_params),
        settings.domain.publication,
        result.hits,
    )
    return Response(document, mimetype=ATOM_MIMETYPE)


def cited_article(record: dict) -> CitedArticle:
    return CitedArticle.from_record(
        record, get_settings().domain.publication, _absolute_article_url(record["id"])
    )


def citation(record: dict) -> dict:
    """What the article JSON says about citing it."""
    return {"gbt7714": gbt7714(cited_article(record))}


def _download(text: str, mimetype: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cited(article_id: str) -> CitedArticle:
    stored = get_engine().article(article_id)
    if stored is None:
        abort(404)
    return cited_article(hit_from_stored(stored, None).to_dict())


def article_ris(article_id: str):
    return _download(ris(_cited(article_id)), RIS_MIMETYPE, f"{article_id}.ris")


def article_bibtex(article_id: str):
    return _download(bibtex(_cited(article_id)), BIBTEX_MIMETYPE, f"{article_id}.bib")


def _ris_records(hits: list[Hit]) -> str:
    return "".join(ris(cited_article(hit.to_dict())) for hit in hits)


def search_ris():
    """Every hit of the search as RIS, streamed and capped like the CSV export."""
    settings = get_settings()
    batches = export.result_batches(settings, search_request(request.args), get_engine())
    return Response(
        stream_with_context(export.in_turn(batches, _ris_records)),
        mimetype=RIS_MIMETYPE,
        headers={"Content-Disposition": 'attachment; filename="bulletin-search.ris"'},
    )


def register(pages) -> None:
    """The routes on the pages blueprint (views.py owns the blueprints)."""
    pages.add_url_rule("/search.atom", view_func=search_atom, methods=["GET"])
    pages.add_url_rule("/search.ris", view_func=search_ris, methods=["GET"])
    pages.add_url_rule("/articles/<article_id>.ris", view_func=article_ris, methods=["GET"])
    pages.add_url_rule("/articles/<article_id>.bib", view_func=article_bibtex, methods=["GET"])
