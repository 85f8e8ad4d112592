"""The trade-show calendar: India's industrial shows the exhibitor takes a stall at, each
edition booked once when it comes within `BOOK_AHEAD` days, and the regions whose
visitors (and campaign audiences) they draw from."""

from __future__ import annotations

from datetime import date

# India's regions by state (a show's visitors, a partner campaign's zone).
NORTH = ("Delhi", "Haryana", "Uttar Pradesh", "Punjab", "Rajasthan", "Uttarakhand",
         "Himachal Pradesh")
EAST = ("West Bengal", "Odisha", "Jharkhand", "Bihar", "Assam", "Chhattisgarh")
WEST = ("Maharashtra", "Gujarat", "Goa", "Madhya Pradesh")
SOUTH = ("Tamil Nadu", "Karnataka", "Telangana", "Andhra Pradesh", "Kerala")
ZONES = (("North India", NORTH), ("East India", EAST), ("West India", WEST),
         ("South India", SOUTH))

# The show calendar: name, month, first day, days, focus industry (None: all), visitors' states.
# One edition a year; the exhibitor books each edition once.
SHOWS: tuple[tuple[str, int, int, int, str | None, tuple[str, ...]], ...] = (
    ("IMTEX Bengaluru", 1, 22, 7, None, SOUTH),
    ("ELECRAMA Greater Noida", 2, 22, 5, "Energy", NORTH),
    ("Steel & Metals Expo Kolkata", 3, 12, 3, "Metals", EAST),
    ("India Industrial Fair Chennai", 7, 24, 4, None, ("Tamil Nadu", "Kerala", "Karnataka",
                                                       "Andhra Pradesh")),
    ("Automation Expo Mumbai", 8, 20, 4, None, WEST),
    ("Auto Components Show Gurugram", 9, 18, 3, "Automotive", NORTH),
    ("Pharma Machinery Expo Hyderabad", 10, 9, 3, "Pharmaceuticals",
     ("Telangana", "Andhra Pradesh", "Karnataka", "Maharashtra", "Gujarat")),
    ("Manufacturing Expo Pune", 11, 20, 4, None, ("Maharashtra", "Goa", "Gujarat")),
    ("Engimach Gandhinagar", 12, 3, 5, None, ("Gujarat", "Madhya Pradesh", "Rajasthan",
                                              "Maharashtra")),
)
BOOK_AHEAD = (7, 60)  # an edition is booked when it starts within this many days
FOLLOW_UP_DAYS = 14  # booth leads keep coming (cards keyed in, call-backs) after a show


def upcoming_shows(day: date) -> list[tuple[tuple[str, int, int, int, str | None,
                                                tuple[str, ...]], date]]:
    """The show editions starting `BOOK_AHEAD` days from `day` (calendar order)."""
    found = []
    for show in SHOWS:
        for year in (day.year, day.year + 1):
            first = date(year, show[1], show[2])
            if BOOK_AHEAD[0] <= (first - day).days <= BOOK_AHEAD[1]:
                found.append((show, first))
    return sorted(found, key=lambda item: item[1])
