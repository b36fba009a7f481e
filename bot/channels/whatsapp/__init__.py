"""The WhatsApp channel (WhatsApp Business Cloud API): webhook, Cloud API client, the 24-hour
window and the registry of approved templates."""
