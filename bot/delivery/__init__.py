"""Everything sent that is not a direct reply: the outbox, its dispatcher, the rate limits, the
quarterly and visit reminders and campaign messages, and the `Sender` port to the channels."""
