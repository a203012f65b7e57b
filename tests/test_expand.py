"""The query pipeline step: query text normalized as document text is, each unit expanded to its forms."""

from __future__ import annotations

import shutil

import pytest

from indexer import expand
from indexer.build import build_index
from indexer.engine import EngineRequest, SearchEngine
from indexer.normalize import normalize_query
from tests.conftest import SEED
from tests.test_build import next_issue


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("ＡＩ", "AI"),
        ("ｃｈａｔＧＰＴ　２０２２", "chatGPT 2022"),
        ("⽉", "月"),  # KANGXI RADICAL MOON
        ("⻘科会", "青科会"),  # CJK RADICALS SUPPLEMENT: the simplified form of 青
        ("\uf9d0", "\u985e"),  # a CJK compatibility ideograph for 類
        (" 科技\n创新\u00a0", "科技 创新"),
        ("“科创中国”，", "“科创中国”，"),  # Chinese punctuation stays as the bulletin prints it
    ],
)
def test_normalize_query(typed, normalized):
    assert normalize_query(typed) == normalized


def test_expand_without_tables_is_the_term_alone():
    assert expand.Expander().synonyms("科技") == ()
    assert expand.Expander([["科协", "科学技术协会"]]).synonyms("科技") == ()


@pytest.fixture(scope="module")
def archive(tmp_path_factory, settings):
    """The real issue, and the next one with "AI" in a feature and 人工智能 in a brief."""
    base = tmp_path_factory.mktemp("expand")
    folder = base / "archive"
    folder.mkdir()
    shutil.copy(SEED, folder / "issue-270.txt")
    seed_text = SEED.read_text(encoding="utf-8")
    assert seed_text.count("运维团队负责人") == 1 and seed_text.count("保密法") == 1
    text = next_issue(seed_text).replace("运维团队负责人", "AI运维团队负责人")
    (folder / "issue-271.txt").write_text(text.replace("保密法", "人工智能保密法"), encoding="utf-8")
    indexed = settings.with_overrides(archive_dir=folder, index_dir=base / "index", cache_dir=base / "cache")
    assert build_index(indexed).added == ["270", "271"]
    return indexed


def found(archive, text: str, expander: expand.Expander | None = None) -> list[str]:
    result = SearchEngine(archive.index_dir, (), expander).search(EngineRequest(text=text, limit=100))
    return sorted(hit["id"] for hit in result.hits)


def test_full_width_letters_find_ascii(archive):
    assert found(archive, "AI") == ["271-f01"]
    assert found(archive, "ＡＩ") == ["271-f01"]
    assert found(archive, "ａｉ运维") == ["271-f01"]


def test_radicals_find_the_ideograph(archive):
    moon = found(archive, "5月30日")
    assert moon == ["270-b28", "270-f06", "271-b28", "271-f06"]
    assert found(archive, "5⽉30日") == moon  # KANGXI RADICAL MOON
    youth = found(archive, "青科会")
    assert youth == [
        f"{issue}-{article}"
        for issue in ("270", "271")
        for article in ("b03", "f02", "f03", "f04", "f05", "f08")
    ]
    assert found(archive, "⻘科会") == youth  # CJK RADICALS SUPPLEMENT: 青, which NFKC leaves alone


def test_an_expansion_ors_the_forms(archive):
    assert found(archive, "人工智能") == ["271-b08"]
    synonyms = expand.Expander([["AI", "人工智能"]])
    assert found(archive, "AI", synonyms) == ["271-b08", "271-f01"]
    assert found(archive, "ＡＩ", synonyms) == ["271-b08", "271-f01"]
    # The other forms are highlighted too.
    result = SearchEngine(archive.index_dir, (), synonyms).search(EngineRequest(text="AI"))
    assert result.highlights == ["ai", "人工智能"]
    # Negated, a unit excludes the articles holding any of its forms.
    assert "271-b08" not in found(archive, "鹿城区 NOT AI", synonyms)
    assert "270-b08" in found(archive, "鹿城区 NOT AI", synonyms)
