"""Social-media accounts: @handles, handles after a platform's name, and profile URLs."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer
from casenotes.deid.recognizers._places import words
from casenotes.records import PiiLabel

_HANDLE = r"(?>[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?)(?![@\w])"
_PLATFORMS = (
    r"snap(?:chat)?|insta(?:gram)?|ig|tik ?tok|twitter|facebook|fb|discord|telegram|kik|threads"
    r"|youtube|twitch|sc(?=\s*[:-])|x(?=\s*:)"
)
_URL_SITES = (
    r"instagram\.com|tiktok\.com|snapchat\.com/add|facebook\.com|fb\.com|m\.facebook\.com"
    r"|x\.com|twitter\.com|youtube\.com|threads\.net|twitch\.tv"
)
# Words that follow a platform's name in ordinary prose: "on snap with friends", "IG account".
_NOT_HANDLES = words(
    """
    a an the and or but with to on in at for from of by about after before his her their its my
    your our him them he she they it is was are were be been has had have account accounts page
    profile messages message messaged msg msgs chat chats chatting story stories stories post posts
    posted video videos live call calls called group groups name handle username user streak
    streaks photos photo pictures picture pics pic images image filter friend friends friended
    follower followers following request requests app apps dm dms said says told showed shows
    where which who that this these those there then when while today yesterday tonight now
    again also too as if not no yes all some any only just still even ever never later earlier
    recently regularly under map maps
    """
)
_PLATFORM_WORDS = (
    "snap", "snapchat", "insta", "instagram", "ig", "tiktok", "tik tok", "twitter", "facebook",
    "fb", "discord", "telegram", "kik", "threads", "youtube", "twitch", "handle", "username",
    "account", "acc", "accounts", "blocked", "tagged", "profile", "stories", "followers", "dm",
)  # fmt: skip
_AT_NOT_HANDLES = frozenset({"home", "school", "work", "college", "nans", "mums", "dads"})


class UkUsernameRecognizer(UkRecognizer):
    """``@jaybaby07`` (with its "@"), ``snap: jaybaby07`` / ``Insta - kelz.x`` / ``TikTok @x``
    (the value only), ``instagram.com/kelz.x`` and ``https://www.tiktok.com/@x`` (whole URL).

    An "@" after a word character is an e-mail address and is left alone. A plain word after a
    platform name counts only if it is not an ordinary prose word ("on snap with friends").
    """

    NAME = "uk_username"
    ENTITIES = (PiiLabel.USERNAME.value,)
    CONTEXT = ()
    RULES = (
        Rule(
            name="profile_url",
            regex=re.compile(
                rf"(?<![\w./])(?:https?://)?(?:www\.)?(?:{_URL_SITES})/@?(?>[\w.-]*[\w])/?",
                re.IGNORECASE,
            ),
            score=0.9,
        ),
        Rule(
            name="platform_handle",
            regex=re.compile(
                rf"\b(?:{_PLATFORMS})\b(?:\s*(?:name|handle|username|id|account))?"
                rf"(?P<sep>\s*[:\-–=(]\s*|\s+(?:is\s+|as\s+)?)(?P<value>@?{_HANDLE})",
                re.IGNORECASE,
            ),
            score=0.8,
        ),
        Rule(
            # A handle-shaped word (letters joined by "_" or "." to more letters or digits, with
            # a digit or "_") a little after a platform's name: "his Snapchat at first, then
            # showed me - kacperr_ls9"
            name="handle_near_platform",
            regex=re.compile(
                r"(?<![\w.@/+-])(?=[\w.]*(?:_|\d))[A-Za-z][A-Za-z0-9]*(?:[._][A-Za-z0-9]+)+"
                r"(?![\w@]|\.\w)"
            ),
            score=0.1,
            context=_PLATFORM_WORDS,
        ),
        Rule(
            # a dotted handle an account goes by, near an account word: "a shared Facebook
            # account under the name shane.d.lfc"
            name="handle_after_name",
            regex=re.compile(
                r"(?i:under\s+the\s+(?:user)?name|(?:user|account)\s?name|goes\s+by|called|named)"
                r"\s+[\"“'‘]?(?P<value>[A-Za-z][A-Za-z0-9]*(?:[._][A-Za-z0-9]+)+)(?![\w@]|\.\w)"
            ),
            score=0.6,
            context=_PLATFORM_WORDS,
            require_context=True,
        ),
        Rule(
            name="at_handle",
            regex=re.compile(rf"(?<![\w.@/+-])@{_HANDLE}"),
            score=0.8,
        ),
    )

    def accept(
        self, text: str, match: re.Match[str], rule: Rule, start: int, end: int
    ) -> str | None:
        value = text[start:end]
        if rule.name == "at_handle":
            return None if value[1:].lower() in _AT_NOT_HANDLES else self.ENTITIES[0]
        if rule.name == "platform_handle":
            if value.startswith("@"):
                return self.ENTITIES[0]
            if value.lower() in _NOT_HANDLES or value.isdigit():
                return None
            separated = match.group("sep").strip() != ""
            looks_like_handle = any(ch.isdigit() or ch in "_." for ch in value)
            if not (separated or looks_like_handle) and value[0].isupper() and value.isalpha():
                return None  # "on Snapchat Jayden said": a name or a new sentence, not a handle
        return self.ENTITIES[0]
