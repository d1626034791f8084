"""``python -m api`` runs the ``ledger`` command line."""

from api.cli import main

main()
