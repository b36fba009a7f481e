"""Who a person is on each channel: phone numbers in E.164, with Komek's rules on top."""
