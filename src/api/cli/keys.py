"""``ledger keys``: issue, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.output import JsonFlag, emit, ledger_application, ledger_database
from api.keys import KeyRequestRefused, Role, issue_key, list_keys, revoke_key
from ledger.domain.values import party_id
from ledger.settings import Settings
from ledger.store.database import Database

keys_app = typer.Typer(help="Issue, list and revoke API keys.", no_args_is_help=True)


def _require_party(settings: Settings, database: Database, code: str) -> None:
    with ledger_application(settings, database) as ledger:
        registered = party_id(code) in ledger.repository
    if not registered:
        raise KeyRequestRefused(f"party {code} is not registered in the ledger")


@keys_app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="What the key may do.", case_sensitive=False)],
    party: Annotated[
        str | None, typer.Option(help="Partner keys only: the code of the partner's party.")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Who holds the key; recorded with its writes.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue an API key and print it (it is shown only this once)."""
    with ledger_database() as (settings, database):
        if role is Role.PARTNER and party:
            _require_party(settings, database, party)
        with database.connect(autocommit=True) as conn:
            issued = issue_key(conn, role=role, party=party, name=name)
    key = issued.key
    owner = f", party {key.party}" if key.party else ""
    emit(
        as_json,
        {**key.as_json(), "key": issued.token},
        f"{issued.token}\n"
        f"id {key.id}, role {key.role}{owner}, name {key.name!r}; "
        "store the key now: it is not shown again",
    )


@keys_app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List every API key, revoked ones included (never their secrets)."""
    with ledger_database() as (_settings, database), database.connect() as conn:
        keys = list_keys(conn)
    lines = [f"{'id':<14}{'role':<11}{'party':<12}{'state':<9}{'created':<27}name"]
    for key in keys:
        state = "revoked" if key.revoked_at else "active"
        created = key.created_at.isoformat(timespec="seconds")
        lines.append(
            f"{key.id:<14}{key.role.value:<11}{key.party or '-':<12}{state:<9}{created:<27}"
            f"{key.name}"
        )
    emit(as_json, {"keys": [key.as_json() for key in keys]}, "\n".join(lines))


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(metavar="ID", help="The key's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API key: it is refused from now on."""
    with ledger_database() as (_settings, database), database.connect(autocommit=True) as conn:
        key, revoked_now = revoke_key(conn, key_id)
    when = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "?"
    text = f"revoked {key.id} ({key.role}, {key.name!r})"
    if not revoked_now:
        text = f"{key.id} was already revoked at {when}"
    emit(as_json, {**key.as_json(), "revoked_now": revoked_now}, text)
