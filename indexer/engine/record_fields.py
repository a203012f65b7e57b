"""What an article's record holds besides its text, for query units to match: the department as
signed, its counties by every spelling, and its issue by number, running number and year."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.engine.facet_table import FacetTable
from indexer.expand import IssueRef
from indexer.normalize import squeeze

# How many matched values a reading lists: an issue designator such as 第5期 names one issue a year.
SHOWN_VALUES = 5


@dataclass(frozen=True)
class IssueNumbers:
    id: str
    number: int
    total: int
    year: int

    def label(self) -> str:
        return f"{self.year}年第{self.number}期"


class RecordFields:
    """Record values of one index generation with their documents, searched value by value: there are
    a few dozen departments and counties and one entry per issue, far fewer than articles."""

    def __init__(
        self, table: FacetTable, issues: list[IssueNumbers], place_spellings: dict[str, tuple[str, ...]]
    ):
        self.table = table
        self.issues = issues
        self.departments = {
            squeeze(value).lower(): bits for value, bits in table.postings.get("department", {}).items()
        }
        self.department_names = {
            squeeze(value).lower(): value for value in table.postings.get("department", {})
        }
        self.place_spellings = place_spellings

    def matches(self, field: str, text: str, issue: IssueRef | None) -> list[tuple[str, int]]:
        """(the value as shown, its documents) of each value of `field` that holds `text`."""
        if field == "issue":
            if issue is None:
                return []
            return [
                (entry.label(), self.table.bitmap(self.table.issues.get(entry.id, ())))
                for entry in self.issues
                if issue.matches(entry.number, entry.total, entry.year)
            ]
        if field == "department":
            return [
                (self.department_names[value], bits)
                for value, bits in self.departments.items()
                if text in value
            ]
        if field == "county":
            found = []
            for value, bits in self.table.postings.get("county", {}).items():
                spellings = self.place_spellings.get(value, (value,))
                if any(text in spelling.lower() for spelling in spellings):
                    found.append((value, bits))
            return found
        return []
