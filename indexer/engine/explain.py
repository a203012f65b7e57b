"""Why an article matched: which query unit matched which field, and how (the word, a substring of
the text, a synonym, a pinyin spelling, or the record)."""

from __future__ import annotations

from indexer.analysis import match_pattern
from indexer.engine.plan import QueryPlan
from indexer.engine.query import RecordLeaf, SubstringLeaf

WORD, SUBSTRING, RECORD = "word", "substring", "record"


def _holds(pattern: str, docnum: int, bits: int) -> bool:
    return bool(pattern) and bool(bits >> docnum & 1)


def _leaf_matches(plan: QueryPlan, unit_text: str, leaf: SubstringLeaf, docnum: int) -> list[dict]:
    title, text = plan.texts.titles[docnum], plan.texts.texts[docnum]
    # A lone character is matched wherever it stands (see QueryPlan._substring_docs).
    lone = len(leaf.text) == 1 and not leaf.text.isascii()
    pattern = leaf.text if lone else match_pattern(leaf.text)
    if not pattern:
        return []
    in_title = pattern in title
    # The whole text's part starts with the title's runs: more occurrences there mean the body has it.
    in_body = leaf.part == "text" and text.count(pattern) > title.count(pattern)
    found = []
    for field, held in (("title", in_title), ("body", in_body)):
        if not held:
            continue
        whole = bool(leaf.words) and all(_holds(w, docnum, plan.term_bits(field, w)) for w in leaf.words)
        how = leaf.how or (WORD if whole else SUBSTRING)
        found.append({"unit": unit_text, "matched": leaf.text, "field": field, "how": how})
    return found


def _record_matches(plan: QueryPlan, unit_text: str, leaf: RecordLeaf, docnum: int) -> list[dict]:
    return [
        {"unit": unit_text, "matched": value, "field": field, "how": RECORD}
        for field, value, bits in plan.record_matches.get(leaf, ())
        if bits >> docnum & 1
    ]


def explain_hit(plan: QueryPlan, docnum: int) -> list[dict]:
    """[{unit, matched, field, how}] for each way each unit of the query matched the document."""
    found: list[dict] = []
    for unit in plan.units:
        if isinstance(unit, RecordLeaf):
            found += _record_matches(plan, unit.text, unit, docnum)
            continue
        for leaf in unit.leaves:
            found += _leaf_matches(plan, unit.text, leaf, docnum)
        if unit.record is not None:
            found += _record_matches(plan, unit.text, unit.record, docnum)
    unique = {tuple(entry.values()): entry for entry in found}
    return list(unique.values())
