"""Settings: a TOML file, $QUIZ_HOME/config.toml, validated key by key.

Read with the standard library's tomllib, written with tomli_w.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from quiz.errors import QuizError, UsageError


@dataclass(frozen=True)
class Setting:
    key: str
    default: object
    help: str
    parse: callable  # str -> value, raises ValueError with a message


def _int_range(lo, hi):
    def parse(text):
        try:
            value = int(str(text))
        except ValueError:
            raise ValueError(f"expected a whole number from {lo} to {hi}") from None
        if not lo <= value <= hi:
            raise ValueError(f"expected a whole number from {lo} to {hi}")
        return value

    return parse


def _retention(text):
    try:
        value = float(str(text))
    except ValueError:
        raise ValueError("expected a number between 0.7 and 0.99, e.g. 0.9") from None
    if not 0.7 <= value <= 0.99:
        raise ValueError("expected a number between 0.7 and 0.99, e.g. 0.9")
    return value


def _deck(text):
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", str(text)):
        raise ValueError("expected a deck slug (lowercase letters, digits, '-')")
    return str(text)


def _deck_limits(value):
    """new_per_day_by_deck: {deck: N}; from a file (a table) or typed as 'deck=N, deck=N'."""
    if isinstance(value, str):
        pairs = [p.split("=", 1) for p in value.replace(",", " ").split() if p]
        if any(len(p) != 2 for p in pairs):
            raise ValueError("expected deck=N pairs, e.g. day14=5")
        value = {k.strip(): v.strip() for k, v in pairs}
    if not isinstance(value, dict):
        raise ValueError("expected a table of deck = N")
    return {_deck(k): _int_range(0, 10_000)(v) for k, v in value.items()}


SETTINGS = {
    s.key: s
    for s in [
        Setting("new_per_day", 10, "new cards a day, per deck", _int_range(0, 10_000)),
        Setting("reviews_per_day", 200, "reviews a day, per deck", _int_range(0, 100_000)),
        Setting("retention", 0.9, "recall probability FSRS aims for", _retention),
        Setting("default_deck", "modern-backbones", "the deck of a bare number", _deck),
        Setting("new_per_day_by_deck", {}, "some decks' own (set --deck D)", _deck_limits),
        Setting("reviews_per_day_by_deck", {}, "some decks' own (set --deck D)", _deck_limits),
    ]
}


def path() -> Path:
    from quiz.files import home

    return home() / "config.toml"


def load() -> dict:
    """All settings: the file's values over the defaults. A broken file is a one-line error."""
    values = {k: s.default for k, s in SETTINGS.items()}
    p = path()
    if not p.exists():
        return values
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as e:
        raise QuizError(f"{p}: cannot read settings: {e}") from None
    for key, value in data.items():
        if key not in SETTINGS:
            raise QuizError(f"{p}: unknown setting {key!r} (known: {', '.join(SETTINGS)})")
        try:
            values[key] = SETTINGS[key].parse(value)
        except ValueError as e:
            raise QuizError(f"{p}: {key}: {e}") from None
    return values


PER_DECK = {"new_per_day": "new_per_day_by_deck", "reviews_per_day": "reviews_per_day_by_deck"}


def set_for_deck(key: str, value: str, deck: str, decks: list[str]) -> int:
    """`config set new_per_day N --deck D` (or reviews_per_day): that deck's own daily limit."""
    if key not in PER_DECK:
        raise UsageError(f"--deck goes with {' or '.join(PER_DECK)} only")
    if deck not in decks:
        raise UsageError(f"--deck: no deck {deck!r} (decks: {', '.join(decks)})")
    try:
        n = SETTINGS[key].parse(value)
    except ValueError as e:
        raise UsageError(f"{key}: {e}") from None
    _update(PER_DECK[key], lambda limits: SETTINGS[PER_DECK[key]].parse({**limits, deck: n}))  # read under the lock
    return n


def set_checked(key: str, value: str, decks) -> object:
    """`config set KEY VALUE`: default_deck must name a deck (`decks()` lists them): a bare question
    number must mean something."""
    if key == "default_deck":
        try:
            SETTINGS[key].parse(value)  # its form first: a slug
        except ValueError as e:
            raise UsageError(f"{key}: {e}") from None
        if value not in decks():
            raise UsageError(f"default_deck: no deck {value!r} (decks: {', '.join(decks())})")
    return set_value(key, value)


def get(key: str):
    if key not in SETTINGS:
        raise UsageError(f"unknown setting {key!r} (known: {', '.join(SETTINGS)})")
    return load()[key]


def set_value(key: str, text: str):
    """Validate and store one setting; returns the parsed value."""
    if key not in SETTINGS:
        raise UsageError(f"unknown setting {key!r} (known: {', '.join(SETTINGS)})")
    try:
        value = SETTINGS[key].parse(text)
    except ValueError as e:
        raise UsageError(f"{key}: {e}") from None
    return _update(key, lambda _: value)


def _update(key: str, change):
    """Set `key` to change(its current value): read, changed and written under a lock, so two
    `config set` at once both land. Returns the new value."""
    import tomli_w

    from quiz.files import locked, write_atomic

    p = path()
    try:
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with locked(p.with_name(".config.lock")):
            values = load()
            values[key] = change(values[key])
            stored = {k: v for k, v in values.items() if v != SETTINGS[k].default or k == key}
            write_atomic(p, tomli_w.dumps(stored))  # a temporary file of its own, then rename
    except OSError as e:
        raise QuizError(f"{p}: cannot write settings: {e.strerror}") from None
    return values[key]
