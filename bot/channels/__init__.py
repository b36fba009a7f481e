"""The channels, one folder or module each: each turns its HTTP (or terminal) into an
`InboundMessage` for the runner and delivers `Outgoing` messages through its API. A channel
never imports another."""
