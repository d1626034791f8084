"""The ``Party`` aggregate: a company or hospital taking part in the channel."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

from ledger.domain.errors import InvalidValue
from ledger.domain.values import PartyRole, parse_text, party_id

DISTRIBUTOR_GRADES = ("A", "B", "C", "D")


class PartyRegistered(Aggregate.Created):
    """A party entered the ledger's master data.

    Fields: code (the ledger's short code), name, role, region, grade (distributors only),
    recall_contact (who receives recall notices).
    """

    code: str
    name: str
    role: PartyRole
    region: str
    grade: str | None
    recall_contact: str


class Party(Aggregate):
    """A manufacturer, supplier, distributor, sub-distributor, hospital or 3PL."""

    @classmethod
    def register(
        cls,
        *,
        code: str,
        name: str,
        role: PartyRole,
        region: str,
        recall_contact: str,
        grade: str | None = None,
    ) -> Party:
        """Check the party's facts and record its registration."""
        code = code.strip()
        if not code or not code.replace("-", "").replace("_", "").isalnum():
            raise InvalidValue("code", "letters, digits, '-' and '_' only, not empty")
        name = parse_text("name", name)
        if not recall_contact.strip():
            raise InvalidValue("recall_contact", "a party needs a contact for recall notices")
        if role in (PartyRole.DISTRIBUTOR, PartyRole.SUB_DISTRIBUTOR):
            if grade not in DISTRIBUTOR_GRADES:
                raise InvalidValue("grade", f"a distributor's grade is one of {DISTRIBUTOR_GRADES}")
        elif grade is not None:
            raise InvalidValue("grade", "only distributors carry a grade")
        # _create with the id given skips the library's generic argument handling.
        return cls._create(
            PartyRegistered,
            id=party_id(code),
            code=code,
            name=name,
            role=role,
            region=region.strip(),
            grade=grade,
            recall_contact=recall_contact.strip(),
        )

    @event(PartyRegistered)
    def __init__(
        self,
        *,
        code: str,
        name: str,
        role: PartyRole,
        region: str,
        grade: str | None,
        recall_contact: str,
    ) -> None:
        self.code = code
        self.name = name
        self.role = role
        self.region = region
        self.grade = grade
        self.recall_contact = recall_contact
