"""Region codes: the seventeen regions and three cities of republican significance (since 2022)."""

REGIONS: tuple[str, ...] = (
    "astana",
    "almaty",
    "shymkent",
    "abai",
    "akmola",
    "aktobe",
    "almaty_region",
    "atyrau",
    "east_kazakhstan",
    "jetisu",
    "karaganda",
    "kostanay",
    "kyzylorda",
    "mangystau",
    "north_kazakhstan",
    "pavlodar",
    "turkistan",
    "ulytau",
    "west_kazakhstan",
    "zhambyl",
)
