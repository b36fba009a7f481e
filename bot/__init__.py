"""Everything with side effects: reading files, the command line, channels, storage, the server."""
