"""The `komek` command (`bot.cli.main`), one module per group of subcommands."""
