"""SMS through Kannel: its get-url webhook, delivery reports and the sendsms interface."""
