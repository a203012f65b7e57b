"""Citations of one article as GB/T 7714-2015 text, RIS and BibTeX: exact strings, pure and through the routes."""

from __future__ import annotations

import dataclasses

import pytest

from indexer.citation import CitedArticle, bibtex, gbt7714, ris

F05 = CitedArticle(
    id="270-f05",
    title="市科协党组书记、主席林建波赴瑞安调研科创工作",
    department="市科协办公室",
    date="2022-05-17",
    issue_number=5,
    issue_total=270,
    page=None,
    publication="温州科协信息",
    url="http://localhost/articles/270-f05",
)
F05_GBT = "市科协办公室. 市科协党组书记、主席林建波赴瑞安调研科创工作[J]. 温州科协信息, 2022(5)."
F05_RIS = (
    "TY  - JOUR\r\n"
    "AU  - 市科协办公室\r\n"
    "TI  - 市科协党组书记、主席林建波赴瑞安调研科创工作\r\n"
    "T2  - 温州科协信息\r\n"
    "PY  - 2022\r\n"
    "DA  - 2022/05/17\r\n"
    "IS  - 5\r\n"
    "N1  - 总第270期\r\n"
    "LA  - zh\r\n"
    "UR  - http://localhost/articles/270-f05\r\n"
    "ID  - 270-f05\r\n"
    "ER  - \r\n"
)
F05_BIBTEX = """@article{bulletin-270-f05,
  author = {{市科协办公室}},
  title = {市科协党组书记、主席林建波赴瑞安调研科创工作},
  journal = {温州科协信息},
  year = {2022},
  number = {5},
  date = {2022-05-17},
  note = {总第270期},
  url = {http://localhost/articles/270-f05},
  langid = {chinese}
}
"""


def test_the_three_formats_of_one_article():
    assert gbt7714(F05) == F05_GBT
    assert ris(F05) == F05_RIS
    assert bibtex(F05) == F05_BIBTEX


def test_a_page_and_no_department():
    paged = dataclasses.replace(F05, page=2, department=None)
    assert gbt7714(paged) == "市科协党组书记、主席林建波赴瑞安调研科创工作[J]. 温州科协信息, 2022(5): 2."
    assert "AU  -" not in ris(paged) and "SP  - 2\r\n" in ris(paged)
    assert "author" not in bibtex(paged) and "  pages = {2},\n" in bibtex(paged)


def test_bibtex_specials_and_line_breaks_cannot_break_the_entry():
    odd = dataclasses.replace(F05, title="50% {增长} & #1_a\n第二行", department="A}B")
    entry = bibtex(odd)
    assert r"  title = {50\% \{增长\} \& \#1\_a 第二行}," in entry
    assert r"  author = {{A\}B}}," in entry
    assert "TI  - 50% {增长} & #1_a 第二行\r\n" in ris(odd)


def test_article_downloads(client):
    for url, mimetype, filename, body in [
        ("/articles/270-f05.ris", "application/x-research-info-systems", "270-f05.ris", F05_RIS),
        ("/articles/270-f05.bib", "application/x-bibtex", "270-f05.bib", F05_BIBTEX),
    ]:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == mimetype
        assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert response.data.decode("utf-8") == body


@pytest.mark.parametrize("url", ["/articles/nope.ris", "/articles/nope.bib", "/articles/%00.bib"])
def test_unknown_article_downloads_are_404(client, url):
    assert client.get(url).status_code == 404


def test_article_json_and_page_carry_the_citation(client):
    assert client.get("/api/articles/270-f05").get_json()["citation"] == {"gbt7714": F05_GBT}
    page = client.get("/articles/270-f05").get_data(as_text=True)
    assert f'<p class="citation-text">{F05_GBT}</p>' in page
    assert 'href="/articles/270-f05.ris"' in page and 'href="/articles/270-f05.bib"' in page


def test_result_list_as_ris(client):
    response = client.get("/search.ris?county=瑞安")
    assert response.mimetype == "application/x-research-info-systems"
    assert response.headers["Content-Disposition"] == 'attachment; filename="bulletin-search.ris"'
    text = response.data.decode("utf-8")
    assert text.count("TY  - JOUR\r\n") == text.count("ER  - \r\n") == 4
    assert [line[6:] for line in text.split("\r\n") if line.startswith("ID  - ")] == [
        "270-f07",
        "270-f06",
        "270-f05",
        "270-f02",
    ]
    everything = client.get("/search.ris").data.decode("utf-8")
    assert everything.count("TY  - ") == client.get("/api/search").get_json()["total"] == 37


def test_result_list_ris_is_capped_like_the_csv(indexed_settings):
    from webui.app import create_app

    capped = indexed_settings.with_overrides(web=dataclasses.replace(indexed_settings.web, csv_max_rows=7))
    text = create_app(capped).test_client().get("/search.ris").data.decode("utf-8")
    assert text.count("TY  - ") == 7
