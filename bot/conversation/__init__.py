"""A conversation's side effects: the runner (record, lock, engine, commit), rendering replies
for a channel, the booking port on the database and the calendar file of a visit."""
