"""Table tests for the UK recognizers: text -> the values found for one label, near-misses beside
hits. Each row names the label under test and every value of that label the text must yield."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from presidio_analyzer import RecognizerResult

from casenotes.config import CaseReferenceFormat, DeidConfig
from casenotes.deid.recognizers import (
    PATTERN_NAME_KEY,
    RECOGNIZER_NAMES,
    UkCaseReferenceRecognizer,
    build_recognizers,
)
from casenotes.records import PiiLabel

THRESHOLD = DeidConfig().score_threshold


def values(analyzer, text: str, label: str) -> list[str]:
    results = analyzer.analyze(text=text, language="en", score_threshold=THRESHOLD)
    return sorted(text[r.start : r.end] for r in results if r.entity_type == label)


CASES: list[tuple[str, str, list[str]]] = [
    # UK_NHS: layouts, check digit, all-same digits, label outside
    ("NHS no: 943 476 5919.", "UK_NHS", ["943 476 5919"]),
    ("NHS number 943-476-5919", "UK_NHS", ["943-476-5919"]),
    ("nhs 9434765919", "UK_NHS", ["9434765919"]),
    ("NHS no: 943 476 5918", "UK_NHS", []),  # wrong check digit
    ("NHS no: 4444444444", "UK_NHS", []),  # all the same digit
    ("NHS 943 476-5919", "UK_NHS", []),  # mixed separators
    # UK_NINO
    ("NI number AB 12 34 56 C", "UK_NINO", ["AB 12 34 56 C"]),
    ("nino JG123456D", "UK_NINO", ["JG123456D"]),
    ("NI no: AB 123456 C", "UK_NINO", ["AB 123456 C"]),
    ("NI number JG123456", "UK_NINO", ["JG123456"]),  # suffix missing, with context
    ("her ref was JG123456 today", "UK_NINO", []),  # suffix missing, no context
    ("QQ 12 34 56 C is the example on the form", "UK_NINO", []),  # Q never first
    ("GB123456A", "UK_NINO", []),  # unallocated prefix
    ("AB123456E", "UK_NINO", []),  # suffix not A-D
    # UK_UPN
    ("UPN B801200005001", "UK_UPN", ["B801200005001"]),
    ("UPN A801200005001", "UK_UPN", []),  # wrong check letter
    # POSTCODE
    ("lives at LS6 2AB with mum", "POSTCODE", ["LS6 2AB"]),
    ("postcode ls62ab", "POSTCODE", ["ls62ab"]),
    ("SW1A 1AA", "POSTCODE", ["SW1A 1AA"]),
    ("they live in the M14 area", "POSTCODE", ["M14"]),
    ("moved to LS6 last year", "POSTCODE", ["LS6"]),
    ("postcode S17", "POSTCODE", ["S17"]),
    ("he is in Y10 at school", "POSTCODE", []),
    ("S47 enquiry opened in the area", "POSTCODE", []),
    ("s17 support and s47 strategy", "POSTCODE", []),
    ("she lives in the area, S47 strategy meeting held", "POSTCODE", []),
    ("grade A1 in maths", "POSTCODE", []),
    ("M14 was mentioned", "POSTCODE", []),  # outward code without context
    ("QX1 2AB", "POSTCODE", []),  # no such area
    # an outward code right after a street, even a Sheffield "S" district; a full stop after it
    ("Grace lives 44 Knowles Lane, BD4. will update SW", "POSTCODE", ["BD4"]),
    ("moving to 11 Skinner Hall Rd S4 end of month", "POSTCODE", ["S4"]),
    ("under S4 of the Act", "POSTCODE", []),
    ("lives in M14.5 miles away", "POSTCODE", []),
    # POSTCODE: foreign postal codes only right after a ZIP / postal-code word
    ("ZIP: 62704", "POSTCODE", ["62704"]),
    ("my zip code is 90210-1234.", "POSTCODE", ["90210-1234"]),
    ("postal code 1012 AB", "POSTCODE", ["1012 AB"]),
    ("zip code K1A 0B1", "POSTCODE", ["K1A 0B1"]),
    ("Postcode: 394 13", "POSTCODE", ["394 13"]),
    ("she has 62704 followers", "POSTCODE", []),  # a bare five-digit number is no ZIP
    ("zipped her coat, 12345 steps", "POSTCODE", []),
    ("postcode search took 12 minutes", "POSTCODE", []),
    # PHONE_NUMBER
    # a mistyped number (a digit too many) after "ring <service> on"
    ("Summer to ring Family Hub on 01274 496 0733 re housing", "PHONE_NUMBER", ["01274 496 0733"]),
    ("Ring Family Hub on 12/03/2024 at 10.", "PHONE_NUMBER", []),
    ("mob 07700 900123", "PHONE_NUMBER", ["07700 900123"]),
    # a direct line's extension goes with it
    ("Switchboard 0117 923 0000 ext 4412, email", "PHONE_NUMBER", ["0117 923 0000 ext 4412"]),
    ("tel 0161 496 0123 x221", "PHONE_NUMBER", ["0161 496 0123 x221"]),
    ("07700900123", "PHONE_NUMBER", ["07700900123"]),
    ("call +44 7700 900123.", "PHONE_NUMBER", ["+44 7700 900123"]),
    ("+44 (0)7700 900123", "PHONE_NUMBER", ["+44 (0)7700 900123"]),
    ("+447700900123", "PHONE_NUMBER", ["+447700900123"]),
    ("tel 0161 496 0123", "PHONE_NUMBER", ["0161 496 0123"]),
    ("(0113) 496 0123", "PHONE_NUMBER", ["(0113) 496 0123"]),
    ("020 7946 0123 or 0207 946 0123", "PHONE_NUMBER", ["020 7946 0123", "0207 946 0123"]),
    ("01632 960123", "PHONE_NUMBER", ["01632 960123"]),
    ("(01902) 742414", "PHONE_NUMBER", ["(01902) 742414"]),
    ("07700-900123", "PHONE_NUMBER", ["07700-900123"]),
    ("0770 090 0123", "PHONE_NUMBER", ["0770 090 0123"]),
    ("07700 900123 2 children", "PHONE_NUMBER", ["07700 900123"]),
    ("NHS 943 476 5919", "PHONE_NUMBER", []),
    ("seen 01/03/2015 at 14:30, paid £250", "PHONE_NUMBER", []),
    ("crime ref 43/12345/24, CRI-24-018273", "PHONE_NUMBER", []),
    ("0770090012", "PHONE_NUMBER", []),  # a digit short
    # PHONE_NUMBER: foreign numbers
    ("dad's number in the US is (202) 555-0143", "PHONE_NUMBER", ["(202) 555-0143"]),
    (
        "+1-202-555-0143 and 001 202 555 0143",
        "PHONE_NUMBER",
        ["+1-202-555-0143", "001 202 555 0143"],
    ),
    ("call 202-555-0143 or 202.555.0143", "PHONE_NUMBER", ["202-555-0143", "202.555.0143"]),
    ("Fax: 345-899-3560x4587", "PHONE_NUMBER", ["345-899-3560x4587"]),
    ("nan in France: +33 1 23 45 67 89", "PHONE_NUMBER", ["+33 1 23 45 67 89"]),
    ("+46 (0)8 928 571 38 fax", "PHONE_NUMBER", ["+46 (0)8 928 571 38"]),
    ("Tel: 0490 75 40 81", "PHONE_NUMBER", ["0490 75 40 81"]),
    ("Mobile: 03.93.92.16.85", "PHONE_NUMBER", ["03.93.92.16.85"]),
    ("call me on 9472 7916?", "PHONE_NUMBER", ["9472 7916"]),
    ("416 60 039 office", "PHONE_NUMBER", ["416 60 039"]),
    ("07700 900123-Fax", "PHONE_NUMBER", ["07700 900123"]),
    ("NHS no: 943-476-5918", "PHONE_NUMBER", []),  # an NHS number, wrong check digit
    ("case ref 123-456-7890", "PHONE_NUMBER", []),  # no area code starts with 1
    ("spaced 202 555 0143", "PHONE_NUMBER", []),  # 3-3-4 spaced is the NHS layout
    ("phone call on 12.03.2024 at 14.30", "PHONE_NUMBER", []),  # a date after a phone word
    ("Mosaic ID 1234567, phoned 3 times", "PHONE_NUMBER", []),
    ("0490 75 40 81 was the score", "PHONE_NUMBER", []),  # no phone word
    ("They're not answering at 374 780 163", "PHONE_NUMBER", ["374 780 163"]),
    ("stop receiving messages to 056 590 36 33", "PHONE_NUMBER", ["056 590 36 33"]),
    ("on my registered 024 971 50 30.", "PHONE_NUMBER", ["024 971 50 30"]),
    ("SW rang Mum at 14:30 about 3 children", "PHONE_NUMBER", []),  # a time is no number
    ("sent messages to 12 03 2020 attendees", "PHONE_NUMBER", []),  # date-shaped
    # EMAIL_ADDRESS
    ("email kelly.smith@hotmail.co.uk.", "EMAIL_ADDRESS", ["kelly.smith@hotmail.co.uk"]),
    ("j.o'neill@westmarsh.gov.uk", "EMAIL_ADDRESS", ["j.o'neill@westmarsh.gov.uk"]),
    ("mum @ home", "EMAIL_ADDRESS", []),
    # USERNAME
    # a dotted name an account goes by, only near an account word
    ("a shared Facebook account under the name shane.d.lfc.", "USERNAME", ["shane.d.lfc"]),
    ("She is called e.g. Sam in class.", "USERNAME", []),
    ("added him as @jaybaby07 on there", "USERNAME", ["@jaybaby07"]),
    # a handle-shaped word near an account word; not the word after "account" or "snap"
    (
        "she has blocked smokey_b10 but he made a new acc smokey.b10.v2",
        "USERNAME",
        ["smokey_b10", "smokey.b10.v2"],
    ),
    ("after seeing her snap map location", "USERNAME", []),
    ("a Facebook account under his own name", "USERNAME", []),
    ("snap: jaybaby07", "USERNAME", ["jaybaby07"]),
    ("Snapchat: kelz.x.", "USERNAME", ["kelz.x"]),
    ("Insta - kelz.x", "USERNAME", ["kelz.x"]),
    ("IG xx_chloe_xx", "USERNAME", ["xx_chloe_xx"]),
    ("TikTok @jaybaby07", "USERNAME", ["@jaybaby07"]),
    ("see instagram.com/kelz.x", "USERNAME", ["instagram.com/kelz.x"]),
    ("https://www.tiktok.com/@jaybaby07", "USERNAME", ["https://www.tiktok.com/@jaybaby07"]),
    ("snapchat.com/add/lil_mo11", "USERNAME", ["snapchat.com/add/lil_mo11"]),
    ("facebook.com/kelly.smith.12", "USERNAME", ["facebook.com/kelly.smith.12"]),
    ("email kelly.smith@hotmail.co.uk", "USERNAME", []),  # e-mail, not a handle
    ("she talks to friends on snap with her phone", "USERNAME", []),
    ("she was @home all day", "USERNAME", []),
    # a handle in brackets after the platform, or a handle-shaped word shortly after it
    ("His Snapchat (kel.z99) shows him with cash", "USERNAME", ["kel.z99"]),
    ("wouldn't show his snap at first, then showed me - dee_jay04.", "USERNAME", ["dee_jay04"]),
    ("see the file note_v2 on the system", "USERNAME", []),  # no platform before it
    # VEHICLE_REGISTRATION
    ("car reg AB12 CDE", "VEHICLE_REGISTRATION", ["AB12 CDE"]),
    ("seen getting into YR67ABC", "VEHICLE_REGISTRATION", ["YR67ABC"]),
    ("vehicle R123 ABC", "VEHICLE_REGISTRATION", ["R123 ABC"]),
    ("a red car, ABC 123D", "VEHICLE_REGISTRATION", ["ABC 123D"]),
    ("LS12 3AB", "VEHICLE_REGISTRATION", []),  # a postcode
    ("S47 CIN meeting", "VEHICLE_REGISTRATION", []),
    ("AB01 CDE", "VEHICLE_REGISTRATION", []),  # no such age identifier
    # part of a plate, as a witness gives it
    ("a white Corsa, partial reg YR6, outside", "VEHICLE_REGISTRATION", ["YR6"]),
    ("partial reg was not seen", "VEHICLE_REGISTRATION", []),
    ("Part of the plan for Y10", "VEHICLE_REGISTRATION", []),
    # DATE / DATE_OF_BIRTH
    ("seen 12/03/2015", "DATE", ["12/03/2015"]),
    ("12.03.15 and 12-03-2015 and 12/3/15", "DATE", ["12-03-2015", "12.03.15", "12/3/15"]),
    ("on Tuesday 12th March 2015", "DATE", ["12th March 2015"]),
    ("12 Mar 2015", "DATE", ["12 Mar 2015"]),
    ("seen on 18 May. Next visit 12 Mar. 2025", "DATE", ["12 Mar. 2025", "18 May"]),
    ("March 12th 2015", "DATE", ["March 12th 2015"]),
    ("2015-03-12", "DATE", ["2015-03-12"]),
    ("in March 2019 and 03/2019", "DATE", ["03/2019", "March 2019"]),
    ("happened in 2019", "DATE", ["2019"]),
    ("The 2021 assessment found arrears", "DATE", ["2021"]),
    ("Mum has 2000 pounds of debt", "DATE", []),  # no cue before the number
    ("visit on Thurs 12/03", "DATE", ["12/03"]),
    ("under the Children Act 1989", "DATE", []),
    ("Section 47 of the Children Act 1989 and the Children Act 2004", "DATE", []),
    ("at 14:30 or 14.30", "DATE", []),
    ("she rated her mood 3/10", "DATE", []),
    ("she may attend", "DATE", []),
    ("born in the US on 6/24/1991", "DATE_OF_BIRTH", ["6/24/1991"]),
    ("visit 11/22/2000 and 6/24/91", "DATE", ["11/22/2000", "6/24/91"]),
    ("1998/03/03 and 03-Mar-1998", "DATE", ["03-Mar-1998", "1998/03/03"]),
    ("March 3rd, 1998", "DATE", ["March 3rd, 1998"]),
    ("version 2.13.1, room 3/24", "DATE", []),  # not US dates
    ("13/24/2020", "DATE", []),  # neither day-first nor month-first
    ("Jay (DOB 12/03/2015) seen 14/03/2024", "DATE_OF_BIRTH", ["12/03/2015"]),
    ("Jay (DOB 12/03/2015) seen 14/03/2024", "DATE", ["14/03/2024"]),
    ("d.o.b. 01.02.2010", "DATE_OF_BIRTH", ["01.02.2010"]),
    ("date of birth: 1st May 2010", "DATE_OF_BIRTH", ["1st May 2010"]),
    ("born on 3 June 2012", "DATE_OF_BIRTH", ["3 June 2012"]),
    # AGE: the number only
    ("Jay, aged 14, was seen", "AGE", ["14"]),
    ("a 14-year-old boy and his 8 months old sister", "AGE", ["14", "8"]),
    ("14 years old", "AGE", ["14"]),
    ("14yo and 15 y/o", "AGE", ["14", "15"]),
    ("Jay (14) and Mum (34)", "AGE", ["14", "34"]),
    ("3 children in the home", "AGE", []),
    ("paid £250 at 14:30", "AGE", []),
    ("lived there for 3yrs", "AGE", []),
    ("see Section (3)", "AGE", []),
    ("retired at the age of 61", "AGE", ["61"]),
    ("she will turn 16 in May and I'll turn 40.", "AGE", ["16", "40"]),
    ("when she was 6, and when Jay was 14.", "AGE", ["14", "6"]),
    ("turn 3 pages; take a turn 2 times", "AGE", []),
    ("the age of consent", "AGE", []),
    ("when he was 2 hours late", "AGE", []),
    ("Zuzanna KOWALCZYK (6), mason (7), Johnny (14 months)", "AGE", ["6", "7", "14"]),
    ('Margaret ("Maggie", 12); DOB 08/12/2007 (16)', "AGE", ["12", "16"]),
    ("Rahima Begum, 27, DOB on file; Uddin (husband), 33", "AGE", ["27", "33"]),
    ("her cousin Bilal is 23. baby Hope, 12 days old", "AGE", ["23", "12"]),
    ("It is 10. Years 9, 10, 11. Attendance is 54%. Year (7)", "AGE", []),
    # after a role or a name in capitals, in brackets with more after it, after a dotted DOB
    ("Present: Dana (mum, 31), Rob (dad)", "AGE", ["31"]),
    ("Passenger was Tom HALE, 15, who said", "AGE", ["15"]),
    ("Siblings: Amrit (19, lives at home)", "AGE", ["19"]),
    ("D.O.B. 03.04.2011 (13)", "AGE", ["13"]),
    ("Baby (Ella-Rose, about 6 months) is well", "AGE", ["6"]),
    ("Referral Order (9 months) made; Year 8, 12 pupils", "AGE", []),
    # ADDRESS (postcode separate)
    ("lives at 12 Station Road.", "ADDRESS", ["12 Station Road"]),
    # typed in lower case, or with the house number's word; near misses in prose
    ("address confirmed flat 3, 41 cowper grove ls9 7ab", "ADDRESS", ["flat 3, 41 cowper grove"]),
    ("HV to 56 popple st, S4 8HW", "ADDRESS", ["56 popple st"]),
    ("Nan lives at no.7 Elm Close round the corner", "ADDRESS", ["no.7 Elm Close"]),
    # (the engine joins the two: "pitch 9, Bannock Lane site")
    (
        "visit to pitch 9, Bannock Lane site, M18.",
        "ADDRESS",
        ["pitch 9, Bannock Lane", "Bannock Lane site"],
    ),
    ("the match on pitch 3 was a draw", "ADDRESS", []),
    ("HV to flat 12, Lyndhurst House, ng2 4lu", "ADDRESS", ["flat 12, Lyndhurst House"]),
    ("she said flat 3 was fine", "ADDRESS", []),
    # a Traveller site by name is a family's home; a building site is not
    ("c/o Heath Common Site, Wakefield WF1 5SL", "ADDRESS", ["Heath Common Site, Wakefield"]),
    (
        "Visited Fernhill Drive Travellers' Site today",
        "ADDRESS",
        ["Fernhill Drive Travellers' Site"],
    ),
    ("Dad works on a Building Site in town.", "ADDRESS", []),
    # a house's name before its number, after "of" or a label; not a person before it
    (
        "Lily, of The Old Forge, 3 Church Lane, was seen",
        "ADDRESS",
        ["The Old Forge, 3 Church Lane"],
    ),
    ("Address: Ivy Bank, 2 Mill Lane", "ADDRESS", ["Ivy Bank, 2 Mill Lane"]),
    ("visited Mum, 3 Church Lane today", "ADDRESS", ["3 Church Lane"]),
    ("he walked 5 times down the road", "ADDRESS", []),
    ("went 3 miles down the main road", "ADDRESS", []),
    ("14a Kingsmead Close, Leeds LS6 2AB", "ADDRESS", ["14a Kingsmead Close, Leeds"]),
    (
        "Flat 3, Brunel House, 12 Station Road, Leeds.",
        "ADDRESS",
        ["Flat 3, Brunel House, 12 Station Road, Leeds"],
    ),
    ("now at Flat 3 Brunel House", "ADDRESS", ["Flat 3 Brunel House"]),
    (
        "Flat 3, Brunel House, Kingsmead Estate",
        "ADDRESS",
        ["Flat 3, Brunel House, Kingsmead Estate"],
    ),
    ("12 Station Road, Mum said", "ADDRESS", ["12 Station Road"]),
    ("attended 2 Family Court hearings", "ADDRESS", []),
    # a letterhead block before a postcode: street without a number, a named building
    ("Oakwood Primary\nMill Lane, Derby DE1 2AB\nTel", "ADDRESS", ["Mill Lane, Derby"]),
    (
        "The Old Rectory, Church Road, Ledbury HR8 1AB.",
        "ADDRESS",
        ["The Old Rectory, Church Road, Ledbury"],
    ),
    (
        "Beck House, 21 Kirkgate, Wakefield WF1 1AB",
        "ADDRESS",
        ["Beck House, 21 Kirkgate, Wakefield"],
    ),
    ("Harris Academy, Peckham SE15 5DZ", "ADDRESS", []),  # a school and a town
    ("Lives in Leeds LS9 7PJ", "ADDRESS", []),
    ("in Flat 3 with mum", "ADDRESS", []),
    ("3 children", "ADDRESS", []),
    # ADDRESS: US and foreign addresses, PO boxes, forces mail
    (
        "dad lives at 123 Main Street, Springfield, IL 62704. She said",
        "ADDRESS",
        ["123 Main Street, Springfield, IL 62704"],
    ),
    ("456 Oak Avenue Apt 4B, Boston", "ADDRESS", ["456 Oak Avenue Apt 4B, Boston"]),
    ("12 High Street Suite 200\nLeeds\nLS6 2AB", "ADDRESS", ["12 High Street Suite 200\nLeeds"]),
    ("Harry  515 385 Gemsbok St  Apt. 460", "ADDRESS", ["515 385 Gemsbok St  Apt. 460"]),
    ("Flat 14, 93 Shakespeare Close", "ADDRESS", ["Flat 14, 93 Shakespeare Close"]),
    ("on 12/3, 93 Shakespeare Close", "ADDRESS", ["93 Shakespeare Close"]),
    ("write to P.O. Box 149 or PO Box 12", "ADDRESS", ["P.O. Box 149", "PO Box 12"]),
    ("PSC 1437, Box 3833\nAPO AA 66791", "ADDRESS", ["PSC 1437, Box 3833\nAPO AA 66791"]),
    ("nan lives at Hammarvägen 15, Uppsala", "ADDRESS", ["Hammarvägen 15, Uppsala"]),
    ("on Villacher Strasse 89", "ADDRESS", ["Villacher Strasse 89"]),
    ("at Rua do Arenque 1634, Goiânia", "ADDRESS", ["Rua do Arenque 1634, Goiânia"]),
    ("moved to 12 rue de la Paix, Paris last year", "ADDRESS", ["12 rue de la Paix"]),
    (
        "233 Erzsébet tér 19.\n Domoszló\n Hungary",
        "ADDRESS",
        ["233 Erzsébet tér 19.\n Domoszló\n Hungary"],
    ),
    ("Allika 46\n Suite 501\n Riisa", "ADDRESS", ["Allika 46\n Suite 501\n Riisa"]),
    ("12 Station Road, Leeds, Mum and Jay were home", "ADDRESS", ["12 Station Road, Leeds"]),
    ("Address: 12 Station Road\nName: Jay", "ADDRESS", ["12 Station Road"]),
    ("Jay is in Year 10, Oakfield.", "ADDRESS", []),  # a numbered noun, not a street
    ("seen on 12 Mar 2024, Leeds office", "ADDRESS", []),
    ("lives on the north side of Joaquin Suarez 2906.", "ADDRESS", []),  # nothing follows
    ("took bus 12 via Leeds", "ADDRESS", []),
    ("put it in the postbox 3 times", "ADDRESS", []),
    # LOCATION: named estates and places
    ("on the Kingsmead Estate", "LOCATION", ["Kingsmead Estate"]),
    ("met at Victoria Park", "LOCATION", ["Victoria Park"]),
    ("in the Car Park", "LOCATION", []),
    # CASE_REFERENCE: value only
    ("Mosaic ID 1234567", "CASE_REFERENCE", ["1234567"]),
    ("PC Haddow confirmed crime report 5223291874 is filed", "CASE_REFERENCE", ["5223291874"]),
    ("ref: CIN-2024-00412", "CASE_REFERENCE", ["CIN-2024-00412"]),
    ("case no. EH/2023/1187", "CASE_REFERENCE", ["EH/2023/1187"]),
    ("crime ref: 43/12345/24", "CASE_REFERENCE", ["43/12345/24"]),
    ("police ref CRI-24-018273", "CASE_REFERENCE", ["CRI-24-018273"]),
    ("CAD 1234 12/03/24", "CASE_REFERENCE", ["1234 12/03/24"]),
    ("log 1234/12MAR24", "CASE_REFERENCE", ["1234/12MAR24"]),
    ("police attended, 5361/13JAN23", "CASE_REFERENCE", ["5361/13JAN23"]),
    ("LCS ref CN123456 and Eclipse ID ECL1234567", "CASE_REFERENCE", ["CN123456", "ECL1234567"]),
    ("case no. MA24C00123", "CASE_REFERENCE", ["MA24C00123"]),
    ("she owes 1234567 pennies", "CASE_REFERENCE", []),  # a bare number without context
    ("a second incident 2 weeks later", "CASE_REFERENCE", []),
    ("mob 07700 900123", "CASE_REFERENCE", []),
    ("Police missing ref: AS-24-0113652", "CASE_REFERENCE", ["AS-24-0113652"]),
    ("informed police, log BC-20240311-0498.", "CASE_REFERENCE", ["BC-20240311-0498"]),
    ("family (case ref WK/0092317)", "CASE_REFERENCE", ["WK/0092317"]),
    (
        "Keisha (prison no. A4471DK) and HO ref R1184203/2",
        "CASE_REFERENCE",
        ["A4471DK", "R1184203/2"],
    ),
    ("incident in 2024, ref 12/03/2024, log 10:00, ref S47", "CASE_REFERENCE", []),
    # after "ID" and "incident"; a hospital number in two parts after its label
    ("Contact ID: AB-23-004512", "CASE_REFERENCE", ["AB-23-004512"]),
    ("Constabulary, incident WY-20240115-0092.", "CASE_REFERENCE", ["WY-20240115-0092"]),
    ("Hospital no: KX4 552019", "CASE_REFERENCE", ["KX4 552019"]),
    ("ID badge shown; Hospital no longer involved, Year 8 12 pupils", "CASE_REFERENCE", []),
    # ORGANIZATION
    (
        "attends St Mary's C of E Primary School",
        "ORGANIZATION",
        ["St Mary's C of E Primary School"],
    ),
    ("Attended Oakfield Academy today.", "ORGANIZATION", ["Oakfield Academy"]),
    (
        "Northgate High School and Kingsmead PRU",
        "ORGANIZATION",
        ["Kingsmead PRU", "Northgate High School"],
    ),
    ("GP is Parkside Medical Centre", "ORGANIZATION", ["Parkside Medical Centre"]),
    ("registered at Station Road Surgery", "ORGANIZATION", ["Station Road Surgery"]),
    ("Greenfields Family Hub", "ORGANIZATION", ["Greenfields Family Hub"]),
    ("the school called the GP and the surgery", "ORGANIZATION", []),
    ("Children's Services, CAMHS, Early Help and Police", "ORGANIZATION", []),
    ("referred to the Family Hub", "ORGANIZATION", []),
    ("The Family Hub said", "ORGANIZATION", []),
]


@pytest.mark.parametrize(("text", "label", "expected"), CASES)
def test_recognizers_table(recognizer_analyzer, text: str, label: str, expected: list[str]) -> None:
    assert values(recognizer_analyzer, text, label) == sorted(expected)


def test_every_label_but_person_has_a_recognizer() -> None:
    emitted = {e for r in build_recognizers(DeidConfig()) for e in r.supported_entities}
    assert emitted == {label.value for label in PiiLabel} - {"PERSON"}


def test_results_name_their_recognizer_and_pattern(recognizer_analyzer) -> None:
    text = "NHS no: 943 476 5919, mob 07700 900123, DOB 12/03/2015, Mosaic ID 1234567"
    results = recognizer_analyzer.analyze(text=text, language="en", return_decision_process=True)
    assert results
    by_label = {r.entity_type: r for r in results}
    assert by_label["UK_NHS"].recognition_metadata[RecognizerResult.RECOGNIZER_NAME_KEY] == "uk_nhs"
    assert by_label["UK_NHS"].recognition_metadata[PATTERN_NAME_KEY] == "nhs_3_3_4"
    assert by_label["CASE_REFERENCE"].recognition_metadata[PATTERN_NAME_KEY] == (
        "mosaic_numeric_id"
    )
    for result in results:
        name = result.recognition_metadata[RecognizerResult.RECOGNIZER_NAME_KEY]
        assert name in RECOGNIZER_NAMES
        assert result.analysis_explanation.pattern_name
        assert result.analysis_explanation.recognizer == name


def test_context_lifts_a_weak_score(recognizer_analyzer) -> None:
    def score(text: str) -> float:
        results = recognizer_analyzer.analyze(text=text, language="en", entities=["UK_NHS"])
        return max(r.score for r in results)

    assert score("NHS number 943 476 5919") > score("number is 943 476 5919 here") >= 0.85


def test_case_reference_formats_are_configured_not_coded() -> None:
    local = CaseReferenceFormat(
        name="westmarsh_id", pattern=r"\bWM-\d{6}\b", score=0.7, context=("wm ref",)
    )
    recognizer = UkCaseReferenceRecognizer(DeidConfig(case_reference_formats=(local,)))
    text = "WM ref WM-123456, Mosaic ID 1234567"
    results = recognizer.analyze(text, ["CASE_REFERENCE"])
    assert [(text[r.start : r.end], r.recognition_metadata[PATTERN_NAME_KEY]) for r in results] == [
        ("WM-123456", "westmarsh_id")
    ]
    assert results[0].score == pytest.approx(1.0 if 0.7 + 0.35 > 1 else 0.7 + 0.35)


def test_labels_config_selects_recognizers() -> None:
    recognizers = build_recognizers(DeidConfig(labels=("UK_NHS", "DATE_OF_BIRTH")))
    assert sorted(r.name for r in recognizers) == ["uk_date", "uk_nhs"]


_RECOGNIZERS = build_recognizers(DeidConfig())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_unicode_never_crashes(text: str) -> None:
    for recognizer in _RECOGNIZERS:
        for result in recognizer.analyze(text, list(recognizer.supported_entities), None):
            assert 0 <= result.start < result.end <= len(text)
            assert 0.0 < result.score <= 1.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["12", "Road", "Flat", "St", "Mary's", "School", "07700", "900123", " ", ",", "@", "/"]
        ),
        max_size=60,
    )
)
def test_near_miss_soup_never_crashes(parts: list[str]) -> None:
    text = " ".join(parts)
    for recognizer in _RECOGNIZERS:
        recognizer.analyze(text, list(recognizer.supported_entities), None)


def test_context_words_match_whole_words_only_whatever_their_order() -> None:
    """Every alternative needs a word boundary on both sides: "tel" is context in "Tel: 0161…"
    but not inside "Telephhone" (a typo); the regex is the same in every process."""
    from casenotes.deid.recognizers._base import context_regex

    words = ("tel", "phone", "mob", "text", "contact number")
    pattern = context_regex(words)
    assert pattern is not None
    assert pattern.search("Tel: 0161 496 0123").group(0) == "Tel"
    assert pattern.search("call her mob") and pattern.search("contact number 07700")
    for near_miss in ("Telephhone catch-up", "Mobility scooter", "context of the visit", "texting"):
        assert pattern.search(near_miss) is None, near_miss
    assert context_regex(tuple(reversed(words))).pattern == pattern.pattern


_STREET_BITS = [
    "Hammarvägen",
    "Villacher",
    "STRASSE",
    "strasse",
    "gade",
    "vej",
    "tie",
    "Rua",
    "Via",
    "do",
    "Andrássy",
    "út",
    "utca",
    "u.",
    "Kossuth",
    "Lajos",
    "Sludevej",
    "on",
    "the",
    "1",
    "13",
    "1634",
    "7.",
    " ",
    "  ",
    "\n",
    ",",
    "-",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_STREET_BITS), max_size=14).map(" ".join) | st.text(max_size=80))
def test_a_rule_prefilter_never_skips_a_text_its_regex_matches(text):
    """A prefilter is a necessary condition: skipping texts that fail it changes no result."""
    for recognizer in build_recognizers(DeidConfig()):
        for rule in getattr(recognizer, "_rules", ()):
            if rule.prefilter is not None and rule.regex.search(text):
                assert rule.prefilter(text), (rule.name, text)


def test_the_foreign_street_prefilter_passes_streets_and_skips_prose():
    from casenotes.deid.recognizers.address import _could_be_foreign

    for street in (
        "Hammarvägen 15",
        "Rua do Arenque 1634",
        "Andrássy út 12",
        "Villacher STRASSE 89",
    ):
        assert _could_be_foreign(f"moved to {street} in May")
    assert not _could_be_foreign("Mum said the 3 children are at school 5 days a week.")
