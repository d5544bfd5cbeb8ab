"""The `till` subcommands, one module per area; `till.cli` wires them into one parser."""
