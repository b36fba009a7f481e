"""The eligibility core: the Social Code's rules for targeted social assistance as pure functions.

Nothing here reads files, clocks, the environment or the network: every rule is a function of a
household and the parameters in force on a date, and every answer carries the codes and articles
it rests on. Text for people is chosen in `dialogs/` and translated in `bot/`.
"""
