"""What social workers use: accounts, tokens and the audit log, caseloads, campaigns, the office's
visits and the JSON API."""
