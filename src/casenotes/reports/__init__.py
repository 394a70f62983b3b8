"""Reports written from figures: evaluation and fairness pages, explanation pages, run summaries.

Templates are Jinja2 files shipped as package data (``reports/templates``) and rendered with
autoescaping on. Pages are self-contained: inline CSS and inline SVG charts, no scripts, nothing
loaded from outside, so a page can be opened from an MLflow artifact view or an e-mail attachment.
"""

from __future__ import annotations

import functools

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("casenotes.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fig"] = figure
    env.filters["pct"] = percent
    return env


def _number(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def figure(entry: object, digits: int = 3) -> str:
    """``{"value", "low", "high"}`` → ``0.812 (0.790–0.835)``; a bare number → ``0.812``."""
    if isinstance(entry, dict):
        value = entry.get("value")
        if value is None:
            return "n/a" + (f" ({entry['reason']})" if entry.get("reason") else "")
        low, high = entry.get("low"), entry.get("high")
        if low is None or high is None:
            return _number(value, digits)
        return f"{_number(value, digits)} ({_number(low, digits)}–{_number(high, digits)})"
    if isinstance(entry, int | float) and not isinstance(entry, bool):
        return _number(float(entry), digits)
    return "n/a" if entry is None else str(entry)


def percent(entry: object, digits: int = 0) -> str:
    """Like :func:`figure`, as percentages: ``81% (79–84%)``."""
    if isinstance(entry, dict):
        value = entry.get("value")
        if value is None:
            return "n/a"
        low, high = entry.get("low"), entry.get("high")
        text = f"{100 * value:.{digits}f}%"
        if low is not None and high is not None:
            text += f" ({100 * low:.{digits}f}–{100 * high:.{digits}f}%)"
        return text
    if isinstance(entry, int | float) and not isinstance(entry, bool):
        return f"{100 * float(entry):.{digits}f}%"
    return "n/a"


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
