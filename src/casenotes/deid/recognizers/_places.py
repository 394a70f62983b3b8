"""Word lists shared by the address, location and organisation recognizers (data, not code)."""

from __future__ import annotations

import re
import sys


def words(text: str) -> frozenset[str]:
    """A set of whitespace-separated words: long word lists stay readable as data."""
    return frozenset(text.split())


def _char_class(test) -> str:  # type: ignore[no-untyped-def]
    """A regex character class of every character up to U+FFFF that passes ``test``, as ranges."""
    ranges: list[tuple[int, int]] = []
    for code in range(min(sys.maxunicode, 0xFFFF) + 1):
        if test(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    parts = (re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges)
    return "[" + "".join(parts) + "]"


# A capital letter of any script ("Ø", "Á", Greek, Cyrillic): Python's ``re`` has no \p{Lu}.
UPPER_LETTER = _char_class(str.isupper)
# A word of any script starting with a capital: "Søndergade", "ÁRPÁD", "O'Neill".
CAPITALISED_WORD = rf"{UPPER_LETTER}[^\W\d_]*(?:['’-][^\W\d_]+)*"

# A capitalised name word: "Station", "Mary's", "O'Neill", "Stoke-on-Trent" parts, "Brunel".
NAME_WORD = r"(?:[A-Z][a-z]+(?:['’][a-z]+|['’])?(?:-[A-Z]?[a-z]+)*)"

STREET_SUFFIXES = (
    "Road", "Rd", "Street", "St", "Close", "Cl", "Avenue", "Ave", "Way", "Lane", "Ln", "Crescent",
    "Cres", "Drive", "Dr", "Grove", "Gr", "Terrace", "Terr", "Gardens", "Gdns", "Walk", "Court",
    "Ct", "Place", "Pl", "View", "Rise", "Hill", "Row", "Square", "Sq", "Mews", "Parade", "Green",
    "Vale", "Croft", "Fold", "Gate", "Brow", "Bank", "Wharf", "Yard", "Chase", "Meadows",
    "Meadow", "Boulevard", "Approach", "Causeway", "Circus", "Crest", "End", "Garth", "Glade",
    "Heights", "Lea", "Park", "Passage", "Path", "Quay", "Ridge", "Side", "Wynd", "Dale",
    "Top", "Bottom", "Broadway", "Grange", "Moor", "Common", "Field", "Fields", "Hollow",
)  # fmt: skip
BUILDING_KINDS = (
    "House", "Court", "Tower", "Towers", "Point", "Heights", "Lodge", "Mansions", "Buildings",
    "Block", "Hall", "Apartments", "Flats", "Villas", "Cottages", "Cottage", "Mill", "Works",
    "Chambers", "Centre", "Place", "Gardens", "View", "Wharf",
)  # fmt: skip
ESTATE_KINDS = ("Estate",)
# (a Traveller site's pitch or plot is a home's number too: "Pitch 9, Bannock Lane")
FLAT_WORDS = (
    "Flat", "Apartment", "Apt", "Unit", "Room", "Maisonette", "Suite", "Pitch", "Plot", "pitch",
    "plot", "flat",
)  # fmt: skip
# Street-type words of other countries, for foreign addresses a note may quote ("Hammarvägen 15",
# "Rua do Arenque 1634", "12 rue de la Paix", "Erzsébet tér 19."). Suffixes end the street's name
# word; prefixes start the street; the Hungarian ones stand between the name and the number.
FOREIGN_STREET_SUFFIXES = (
    "vej", "gade", "gatan", "vägen", "gata", "katu", "kuja", "tie", "strasse", "straße", "weg",
    "gasse", "laan", "straat", "veien", "vegen", "braut", "stræti", "stræde", "platz",
)  # fmt: skip
FOREIGN_STREET_PREFIXES = (
    "Rue", "Rua", "Via", "Viale", "Vicolo", "Calle", "Carrer", "Avenida", "Avda.", "Paseo",
    "Piazza", "Plaza", "Praça", "Largo", "Travessa", "Strada", "ul.", "ulica", "Ulica", "aleja",
)  # fmt: skip
HUNGARIAN_STREET_KINDS = ("u.", "utca", "út", "útja", "tér", "körút", "krt.", "rkp.")
# US state and Canadian province codes: "Springfield, IL 62704", "Halifax, NS B3H 1Y2".
STATE_CODES = words(
    """AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH
    NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP AA AE AP
    AB BC MB NB NL NS NT NU ON PE QC SK YT"""
)

# Words that are capitalised but never the name of a place or institution: sentence starts,
# roles, weekdays and months. Leading ones are trimmed off a match; a name made only of these
# (and generic words) is not a name.
NOT_NAME_WORDS = words(
    """
    The A An This That These Those His Her Their Our My Your Its Local New Old Current Previous
    Former Next Last Same Another Other Any Every Each Some No Both All
    At In On To From With By For Of And Or But As If When While Whilst After Before During Since
    Until Today Yesterday Tomorrow Tonight Then Now Also However Although Because
    Mum Mums Mum's Dad Dads Dad's Nan Nan's Nana Grandma Grandad Aunt Auntie Uncle Sister Brother
    Carer Carers Foster Stepdad Stepmum Partner Child Children Child's Children's Young Person
    YP SW Worker Social Family Families Parent Parents
    He She They We I It There Here Who Which What Where Why How
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Tues Wed Weds Thu Thurs Fri
    Sat Sun January February March April May June July August September October November
    December Christmas Easter Half Term
    Attended Attends Attending Visited Visit Called Spoke Met Contacted Emailed Rang Phoned Saw
    Went Left Joined Started Moved Excluded Refused Returned Arrived Collected Dropped Took
    Referred Referral Discussed Agreed Informed Confirmed Reported Advised Explained Stated
    Please Note Notes Update Plan Meeting Review Home Visit School Nursery College GP
    Dr Mr Mrs Ms Miss Mx Prof DC PC DS DI Sgt Cllr Rev Sir Lady Lord
    """
)


def past_leading_not_names(text: str, start: int, name: str) -> int:
    """Where a place's name really starts: past the words of ``name`` (found at ``start``) that
    are sentence or role words ("Attended", "The", "Mum's", "Visited"), and the spaces after."""
    for word in name.split():
        if word not in NOT_NAME_WORDS:
            break
        start = text.index(word, start) + len(word)
        while text[start].isspace():
            start += 1
    return start
