"""``python -m api`` runs the ``ledger`` command line."""

from api.cli.main import main

main()
