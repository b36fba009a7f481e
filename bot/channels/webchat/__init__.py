"""The web chat: a page in the browser and the JSON route it talks to."""
