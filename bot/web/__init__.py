"""What every HTTP route of the app shares: its typed state keys and its metrics."""
