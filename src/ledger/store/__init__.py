"""PostgreSQL storage: embedded server, connection, migrations, chain verification."""
