"""Conversations and explanations: what Komek says, as translatable messages; channel-agnostic and
pure (imports only `core`)."""
