"""Everything users see, drawn with Rich. Bank text is data: it is rendered as
Markdown (never as Rich markup), with control characters removed and `$…$`
math turned into Unicode."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timedelta

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from quiz.schedule import relative
from quiz.text import clean, math_to_unicode, mmss, plain  # the render boundary (quiz/text.py: no Rich)


# what could make Markdown draw a text differently from the text itself (emphasis, code, links,
# entities, escapes, headings, lists, quotes, tables, line breaks)
MARKDOWN_SYNTAX = re.compile(r"[\\`*_\[\]<>&#|~!=]|\n|\s\s|^\s*(?:[-+>]|\d+[.)])(?:\s|$)")


def markdown(text: str):
    """Bank text drawn as Markdown. A text with nothing Markdown would change is drawn as that text:
    the same on screen, without rich.markdown's 20 ms import (most questions: the first card's wait)."""
    text = math_to_unicode(clean(text))
    if not MARKDOWN_SYNTAX.search(text):
        return Text(text.strip())
    from rich.markdown import Markdown

    return Markdown(text, hyperlinks=False)  # a link shows its real target: "text (url)", never a hidden one


def warm_markdown() -> None:
    """Import rich.markdown now (for the answer), e.g. in a thread while the user reads the question."""
    import rich.markdown  # noqa: F401


class SafeConsole(Console):
    """The render boundary: whatever text reaches the terminal through Rich — bank text, keywords,
    titles, deck names, file names, backup fields — loses its control, escape and bidi characters
    here. Rich's own styles and cursor moves are not text segments and pass."""

    def _render_buffer(self, buffer):
        from rich.segment import Segment

        return super()._render_buffer(
            s if s.control else Segment(clean(s.text), s.style) for s in buffer)


def console(stderr: bool = False) -> Console:
    # emoji=False: ":fire:" in a bank or file name stays as typed (and rich's 1.6 ms emoji table is never loaded)
    return SafeConsole(stderr=stderr, highlight=False, emoji=False)


MEASURE = 90  # a card keeps a readable line length on wide terminals


def card(panel):
    """A card's panel, at most MEASURE columns wide (the full width below that)."""
    from rich.constrain import Constrain

    return Constrain(panel, MEASURE)


def question_panel(q, progress: str = "") -> Panel:
    title = Text(f"{progress}  " if progress else "")
    title.append(f"{q.deck} #{q.id}", style="bold")
    subtitle = Text(" · ".join(q.tags), style="dim") if q.tags else None
    return Panel(markdown(q.question), title=title, title_align="left", subtitle=subtitle,
                 subtitle_align="right", border_style="cyan", padding=(1, 2))


def answer_panel(q) -> Panel:
    return Panel(markdown(q.answer_markdown), title=Text("Answer", style="bold"), title_align="left",
                 border_style="green", padding=(0, 2))


def say(console: Console, text: str, style: str = "", indent: int = 2) -> None:
    """A message (cleaned), wrapped at words with a hanging indent; a command is never split."""
    from quiz.text import wrap

    console.print(Text(wrap(clean(text), console.width, indent), style=style), soft_wrap=True)


def rating_prompt(intervals: dict[int, str], extra: str, width: int | None = None) -> Text:
    styles, names = RATING_STYLES, RATING_NAMES
    cram = all(v == "cram" for v in intervals.values())  # cramming: no interval to show, say it once
    t = Text()
    for r in (1, 2, 3, 4):
        if r > 1:
            t.append(" · ", style="dim")
        t.append(f"{r} {names[r]}" + ("" if cram else " "), style=f"bold {styles[r]}")
        if not cram:
            t.append(intervals[r])
    if cram:
        t.append("  (cram: not rescheduled)", style="dim")
    fits = width is None or t.cell_len + 3 + len(extra) <= width
    t.append(("   " if fits else "\n") + extra, style="dim")  # the keys on a line of their own when narrow
    return t


STABILITY_WIDTH = 95  # `quiz list` shows stability from this width (the question keeps ≥ 40 columns)


def cards_table(rows: list[dict], now: datetime, width: int = 80):
    """`quiz list`: one table per deck (its name above it, so ids stay short). Columns are
    dropped by priority so the question keeps ≥ 40 columns: tags below 110 columns, then
    stability below 95; tags are never cut while there is room for them."""
    from itertools import groupby

    show_tags, show_stab = width >= 110, width >= STABILITY_WIDTH
    columns = [("id", {"justify": "right", "no_wrap": True}), ("question", {"ratio": 1, "min_width": 20})]
    if show_tags:  # wraps at ", ", never cut; on one line where the width leaves room (30 + what is past 110)
        room = min(max((len(", ".join(r["tags"])) for r in rows), default=0), 30 + width - 110)
        columns.append(("tags", {"style": "dim", "min_width": min(room, 30), "max_width": max(room, 30)}))
    columns += [("state", {"no_wrap": True}), ("due", {"no_wrap": True})]
    if show_stab:
        columns.append(("stab.", {"justify": "right", "no_wrap": True}))
    columns.append(("R", {"justify": "right", "no_wrap": True}))
    decks = [(deck, list(group)) for deck, group in groupby(rows, key=lambda r: r["deck"])]
    parts = []
    for deck, group in decks:
        table = Table(box=None, header_style="bold", pad_edge=False, expand=True,
                      title=Text(plain(deck), style="bold") if len(decks) > 1 else None, title_justify="left")
        for name, kw in columns:
            table.add_column(name, **kw)
        for r in group:
            due = datetime.fromisoformat(r["due"]) if r["due"] else None
            cells = [Text(str(r["id"])), Text(plain(r["question"]))]
            if show_tags:
                cells.append(Text(plain(", ".join(r["tags"]))))
            shown = "suspended" if r.get("suspended") else "buried" if r.get("buried") else r["state"]
            cells += [Text(shown + (" ⚑" if r.get("flagged") else ""),
                           style={"new": "cyan", "learning": "yellow", "relearning": "red", "suspended": "dim",
                                  "buried": "dim"}.get(shown, "")),
                      Text(relative(due, now) if due else "new")]
            if show_stab:
                from quiz.schedule import human_delta  # one style for every interval: 5h, 8d, 2.1mo

                cells.append(Text("" if r["stability"] is None else human_delta(timedelta(days=r["stability"]))))
            cells.append(Text("" if r["retrievability"] is None else f"{r['retrievability']:.0%}"))
            table.add_row(*cells)
        parts += [Text()] * bool(parts) + [table]
    return Group(*parts)


def list_foot(rows: list[dict], limit: int, width: int, copies=()) -> Text:
    """Under `quiz list`: the counts per state, what was left out and why, and the user copies read
    instead of built-in banks."""
    counts = {s: sum(r["state"] == s for r in rows) for s in ("new", "learning", "review", "relearning")}
    parts = [f"{len(rows):,} card{'s' * (len(rows) != 1)}"] + [f"{n:,} {s}" for s, n in counts.items() if n]
    if len(rows) > limit:
        parts.append(f"{len(rows) - limit:,} more not shown: --limit N, or --json")
    if width < STABILITY_WIDTH:
        parts.append(f"stability shown from {STABILITY_WIDTH} columns (or --json)")
    lines = [" · ".join(parts)]
    lines += [f"{b.deck}: your copy {b.path} (read instead of the built-in {b.overrides})" for b in copies]
    from quiz.text import wrap

    return Text(wrap(clean("\n".join(lines)), width), style="dim")


def search_results(found) -> Group:
    """`quiz search`: each question's key, and its text wrapped beside it (never back to column 0)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", no_wrap=True, style="bold")
    grid.add_column(ratio=1)
    for q in found:
        grid.add_row(Text(q.key), Text(plain(q.question)))
    return Group(grid, Text(f"{len(found)} question{'s' * (len(found) != 1)}", style="dim"))


def summary_panel(s: dict) -> Panel:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    t.add_row("reviewed", str(s["reviewed"]))
    t.add_row("ratings", "  ".join(f"{name} {n}" for name, n in s["ratings"].items()))
    t.add_row("time", s["time"])
    t.add_row("next due", s["next_due"])
    return Panel(t, title=Text("Session summary", style="bold"), title_align="left", border_style="magenta")


VERDICT_STYLE = {"holds": "bold green", "fails": "bold red", "overstated": "bold yellow",
                 "by definition": "bold blue", "published": "bold magenta", "not shown": "dim"}


def verdict_counts(counts: dict[str, int]) -> list[Text]:
    """'3 ✓ holds', '1 ◐ overstated', …: the verdict kinds present, with their marks (for `joined`)."""
    from quiz.proofs import VERDICTS

    return [Text(f"{n} {VERDICTS[v][0]} {v}", style=VERDICT_STYLE[v]) for v, n in counts.items() if n]


def joined(parts: list[Text], width: int, sep: str = " · ") -> Text:
    """Parts joined by `sep`, a line broken only between parts (never inside "how: --explain" or a
    command), each line at most `width` wide where a part fits."""
    t, line = Text(), 0
    for part in parts:
        if t and line + len(sep) + part.cell_len > width:
            t.append("\n")
            line = 0
        elif t:
            t.append(sep, style="dim")
            line += len(sep)
        t.append_text(part)
        line += part.cell_len
    return t


def _figure(f, width: int, tall: bool) -> Group:
    from quiz.proofs.draw import draw

    title = Text(clean(f.title), style="bold blue")
    body = Text("\n".join(clean(line) for line in draw(f, width, tall=tall)), no_wrap=True, overflow="crop")
    return Group(title, body)


def proof_view(title: str, result, explain: bool = False, width: int = 80, figures: int = 1):
    """One proof run, at most MEASURE columns wide (one reading width on a wide terminal). Compact:
    a line per claim (verdict mark, claim, measured value), under it each control's mark and value
    (with --control), the takeaway, the first figure, the counts. With `explain`: every figure, then
    each claim's verdict, how it was measured and its note, numbered."""
    from rich.constrain import Constrain

    from quiz.proofs import VERDICTS

    width = min(width, MEASURE)
    head = Text(plain(title), style="bold")
    changed = {k: v for k, v in result.options.items() if k in result.knobs and v != result.knobs[k].default}
    if changed:  # a what-if (--set): say what differs from the proof as shipped
        head.append("\nwhat-if: " + ", ".join(
            f"{k}={_setting(v)} (default {_setting(result.knobs[k].default)})" for k, v in changed.items()),
            style="yellow")
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True, width=2 if explain else 1)
    table.add_column(ratio=3, overflow="fold")
    table.add_column(ratio=2, overflow="fold")
    for i, c in enumerate(result.claims, 1):
        mark = Text(f"{i}" if explain else c.mark, style=VERDICT_STYLE[c.verdict])
        claim = Text()
        if explain:
            claim.append(f"{c.mark} ", style=VERDICT_STYLE[c.verdict])
        if c.added:
            claim.append("(added) ", style="dim italic")
        claim.append(plain(c.claim))
        table.add_row(mark, claim, Text(plain(c.value), style="cyan"))
        for run, found in result.against(c):
            label = Text(f"  ↳ {plain(run.label)}", style="dim")
            if found is None:
                table.add_row(Text(""), label, Text("not made in this run", style="dim"))
                continue
            value = Text(f"{found.mark} ", style=VERDICT_STYLE[found.verdict])
            value.append(plain(found.value), style="cyan")
            table.add_row(Text(""), label, value)
    parts = [head, table]
    if result.takeaways:
        t = Text("→ ", style="bold")
        t.append(plain(" ".join(result.takeaways)), style="bold")
        parts.append(t)
    figures = result.figures if explain else result.figures[:figures]
    for f in figures:
        parts.append(_figure(f, width, tall=explain))
    if explain:
        notes = Table.grid(padding=(0, 1), expand=True)
        notes.add_column(no_wrap=True, justify="right")
        notes.add_column(ratio=1)
        for i, c in enumerate(result.claims, 1):
            body = Text()
            body.append(f"{c.mark} {c.verdict}", style=VERDICT_STYLE[c.verdict])
            body.append(f" — {VERDICTS[c.verdict][1]}\n", style="dim")
            body.append(plain(c.claim) + "\n", style="bold")
            if c.measured and c.measured != "—":
                label, how = "measured: ", c.measured
                if how.startswith("published: "):  # a paper's or torchvision's figure: name the source
                    label, how = "source: ", how.removeprefix("published: ")
                elif c.verdict == "by definition":
                    label = "why: "
                body.append(label, style="dim")
                body.append(plain(how) + "\n")
            if c.value and c.value != "—":
                body.append("value: ", style="dim")
                body.append(plain(c.value) + "\n", style="cyan")
            for run, found in result.against(c):
                body.append(f"control, {plain(run.label)}: ", style="dim")
                if found is None:
                    body.append("not made in that run\n", style="dim")
                else:
                    body.append(f"{found.mark} {found.verdict} ", style=VERDICT_STYLE[found.verdict])
                    body.append(plain(found.value) + "\n", style="cyan")
            if c.note:
                body.append("note: ", style="dim")
                body.append(plain(c.note) + "\n", style="italic")
            notes.add_row(Text(f"{i}.", style="bold"), body)
        parts.append(Text("How each claim was judged", style="bold"))
        parts.append(notes)
    foot = verdict_counts(result.counts())
    seconds = result.seconds + sum(run.seconds for run in result.controls)
    foot.append(Text(f"{seconds:.2f}s", style="dim"))
    if result.controls:
        flipped = sum(1 for c in result.claims for _, f in result.against(c) if f is not None and f.verdict != c.verdict)
        judged = sum(1 for c in result.claims for _ in result.against(c))
        foot.append(Text(f"controls flip {flipped} of {judged}", style="dim"))
    elif result.controlled:  # --control on a proof with no measured claim: say why nothing more shows
        foot.append(Text("no controls: no claim here is a measurement (≡ § –)", style="dim"))
    more = len(result.figures) - len(figures)
    hint = f"+{more} figure{'s' * (more != 1)}: --explain" if more else ("how: --explain" if not explain else "")
    if hint:
        foot.append(Text(hint, style="dim"))
    parts.append(joined(foot, width))
    return Constrain(Group(*parts), MEASURE)


def _setting(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def proofs_foot(results, width: int) -> Text:
    """`quiz prove --all`'s last lines: the claims of each verdict kind over every proof, and the time."""
    from quiz.proofs import VERDICTS

    totals = {v: sum(r.counts()[v] for _, r in results) for v in VERDICTS}
    seconds = sum(r.seconds + sum(c.seconds for c in r.controls) for _, r in results)
    return joined(verdict_counts(totals) + [Text(f"{len(results)} proofs in {seconds:.1f}s", style="dim"),
                                            Text("one in full: quiz prove N", style="dim")], width)


def proofs_summary(results) -> Table:
    """`quiz prove --all`: one row per proof, the claims it has of each verdict kind, its seconds."""
    from quiz.proofs import VERDICTS

    table = Table(box=None, header_style="bold", pad_edge=False, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("question", ratio=1, no_wrap=True, overflow="ellipsis")
    for v, (mark, _) in VERDICTS.items():
        table.add_column(mark, justify="right", no_wrap=True, header_style=VERDICT_STYLE[v])
    table.add_column("s", justify="right", no_wrap=True)
    for q, r in results:
        counts = r.counts()
        table.add_row(Text(str(q.id)), Text(plain(q.question)),
                      *[Text(str(n) if n else "·", style=VERDICT_STYLE[v] if n else "dim") for v, n in counts.items()],
                      f"{r.seconds:.1f}")
    return table


# -- typed answers, mock interviews, stats (issue 5) --------------------------------

RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
RATING_STYLES = {1: "red", 2: "yellow", 3: "green", 4: "blue"}
COVERAGE_MARKS = {"covered": ("✓", "green"), "partial": ("◐", "yellow"), "missed": ("✗", "red"),
                  "unscored": ("·", "dim")}


def duration(seconds: float) -> str:
    """Time studied: 45s, 12m, 3h 05m."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def suggestion(rating: int) -> Text:
    t = Text("suggested rating: ", style="dim")
    t.append(f"{rating} {RATING_NAMES[rating]}", style=f"bold {RATING_STYLES[rating]}")
    t.append(" (from what your answer covered; you choose)", style="dim")
    return t


def coverage_panel(q, cov) -> Panel:
    """The answer, each bullet marked with what the typed answer covered: ✓ covered, ◐ partly, ✗ missed."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for p in cov.points:
        mark, style = COVERAGE_MARKS[p.status]
        parts = [markdown(p.bullet)]
        if p.terms:
            terms = Text("key terms ", style="dim")
            hit = [t.text for t in p.terms if t.matched]
            miss = [t.text for t in p.terms if not t.matched]
            if hit:
                terms.append("✓ " + ", ".join(hit), style="green")
            if miss:
                terms.append(("  " if hit else "") + "✗ " + ", ".join(miss), style="red")
            parts.append(terms)
        grid.add_row(Text(mark, style=f"bold {style}"), Group(*parts))
    scored = len(cov.scored)
    subtitle = Text(f"covered {cov.covered}/{scored} points · {cov.score:.0%} of key terms", style="dim")
    return Panel(grid, title=Text("Answer", style="bold"), title_align="left", subtitle=subtitle,
                 subtitle_align="right", border_style="green", padding=(0, 1))


def mock_report(rows: list[dict], totals: dict) -> Group:
    table = Table(title=Text("Mock interview", style="bold"), expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("question", ratio=1)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("coverage", justify="right", no_wrap=True)
    table.add_column("suggested", no_wrap=True)
    table.add_column("rating", no_wrap=True)
    one_deck = len({r["deck"] for r in rows}) == 1
    for r in rows:
        rating = r["rating"]
        table.add_row(Text(str(r["id"]) if one_deck else f"{r['deck']}/{r['id']}"), Text(plain(r["question"])), mmss(r["seconds"]),
                      f"{r['coverage']:.0%}", Text(RATING_NAMES[r["suggested"]], style=RATING_STYLES[r["suggested"]]),
                      Text("not rated", style="dim") if rating is None
                      else Text(RATING_NAMES[rating], style=f"bold {RATING_STYLES[rating]}"))
    t = Text()
    t.append(f"{totals['answered']} of {totals['asked']} answered", style="bold")
    t.append(f" · time {mmss(totals['seconds'])}")
    if totals.get("budget_seconds"):
        t.append(f" of {mmss(totals['budget_seconds'])}")
    t.append(f" · {mmss(totals['mean_seconds'])} per answer · coverage {totals['coverage']:.0%}\n")
    t.append("ratings  " + "  ".join(f"{RATING_NAMES[r]} {n}" for r, n in totals["ratings"].items()), style="dim")
    return Group(table, t)


HEAT = [("·", "grey42"), ("░", "green4"), ("▒", "green3"), ("▓", "green1"), ("█", "bold bright_green")]


def heatmap(days: dict[str, int]) -> Text:
    """A GitHub-style calendar: one column per week (Monday first), one row per weekday.

    Shades: · none, then ░ ▒ ▓ █ for up to ¼, ½, ¾ and all of the busiest day's count."""
    from datetime import date

    items = sorted(days.items())
    start = date.fromisoformat(items[0][0])
    weeks = (len(items) + 6) // 7
    top = max((n for _, n in items), default=0)
    months, prev = "", None
    for w in range(weeks):  # a month's name over the first week that starts in it, if there is room
        m = date.fromordinal(start.toordinal() + 7 * w).strftime("%b")
        if m != prev and len(months) < w * 2:
            months = months.ljust(w * 2) + m
        prev = m
    t = Text("     " + months + "\n", style="dim")
    for row, label in enumerate(["Mon", "", "Wed", "", "Fri", "", "Sun"]):
        t.append(f"{label:<4} ", style="dim")
        for w in range(weeks):
            i = 7 * w + row
            if i >= len(items):
                break
            n = items[i][1]
            level = 0 if n == 0 else min(4, max(1, -(-4 * n // top)))
            char, style = HEAT[level]
            t.append(char + " ", style=style)
        t.append("\n")
    t.append("     less ", style="dim")
    for char, style in HEAT:
        t.append(char + " ", style=style)
    t.append(f"more   (busiest day: {top})", style="dim")
    return t


def forecast_chart(forecast: list[dict], width: int = 40) -> Table:
    from datetime import date

    top = max((f["due"] for f in forecast), default=0) or 1
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, style="dim")
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for i, f in enumerate(forecast):
        d = date.fromisoformat(f["date"])
        label = "today" if i == 0 else "tomorrow" if i == 1 else d.strftime("%a %d %b")
        bar = "█" * round(width * f["due"] / top) if f["due"] else ""
        table.add_row(label, Text(bar or "·", style="cyan" if bar else "dim"), str(f["due"]))
    return table


def _pct(r: dict) -> str:
    return "–" if r["rate"] is None else f"{r['rate']:.0%} ({r['recalled']}/{r['answers']})"


def stats_view(s: dict, now: datetime) -> Group:
    parts = []
    total_heat = sum(s["heatmap"].values())
    parts.append(Panel(heatmap(s["heatmap"]), title=Text(f"{total_heat} answers in the last 26 weeks", style="bold"),
                       title_align="left", border_style="green", expand=False))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    st = s["streak"]
    grid.add_row("streak", f"{st['current']} day{'s' * (st['current'] != 1)} now · longest {st['longest']}")
    ret = s["retention"]
    grid.add_row("true retention", f"7 days {_pct(ret['7d'])} · 30 days {_pct(ret['30d'])} · all {_pct(ret['all'])}")
    ts = s["time_studied"]
    grid.add_row("time studied", f"{duration(ts['all'])} · 7 days {duration(ts['7d'])} · 30 days {duration(ts['30d'])}")
    k = s["reviews_by_kind"]
    grid.add_row("answers", f"{s['reviews_total']} ({k['review']} review · {k['mock']} mock · {k['cram']} cram)"
                            f" on {s['days_studied']} day{'s' * (s['days_studied'] != 1)}")
    states = s["states"]
    grid.add_row("cards", f"{sum(states.values())}: " + " · ".join(f"{n} {name}" for name, n in states.items()))
    parts.append(grid)
    parts.append(Panel(forecast_chart(s["forecast"]), title=Text("Due in the next 14 days", style="bold"),
                       title_align="left", border_style="cyan", expand=False))
    if s["weakest"]:
        table = Table(title=Text("Weakest cards (lapses, or recall below 90%)", style="bold"), title_justify="left", expand=True, box=None,
                      header_style="bold", pad_edge=False)
        for name, kw in [("card", {"no_wrap": True, "justify": "right"}),
                         ("question", {"ratio": 1, "min_width": 30}), ("R", {"justify": "right"}),
                         ("lapses", {"justify": "right"}), ("state", {"no_wrap": True}),
                         ("due", {"no_wrap": True}), ("", {"no_wrap": True})]:
            table.add_column(name, **kw)
        one_deck = len({c["deck"] for c in s["weakest"]}) == 1
        for c in s["weakest"]:
            table.add_row(Text(str(c["id"]) if one_deck else f"{c['deck']}/{c['id']}"), Text(plain(c["question"] or "(not in any bank)")),
                          "" if c["retrievability"] is None else f"{c['retrievability']:.0%}", str(c["lapses"]),
                          c["state"], relative(datetime.fromisoformat(c["due"]), now),
                          Text("leech", style="bold red") if c["leech"] else "")
        parts.append(table)
    if s["leeches"]:
        names = ", ".join(f"{c['deck']}/{c['id']} ({c['lapses']})" for c in s["leeches"])
        parts.append(Text(f"Leeches (≥ 4 lapses): {names}. Rewrite or split them: repetition is not helping.",
                          style="red"))
    return Group(*parts)


def settings_table(values: dict, settings: dict) -> Table:
    """`quiz config list`: each setting, its value (bold, with the default beside it, when changed), its
    meaning: one line each at 80 columns."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("setting", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("meaning", ratio=1)

    def show(v) -> str:  # a per-deck table as deck=N, …
        if isinstance(v, dict):
            return ", ".join(f"{k}={n}" for k, n in v.items()) or "none"
        return str(v)

    for key, setting in settings.items():
        value = Text(plain(show(values[key])), style="bold" if values[key] != setting.default else "")
        if values[key] != setting.default:
            value.append(f" (default {show(setting.default)})", style="dim")
        table.add_row(key, value, Text(setting.help, style="dim"))
    return table


def page(console: Console, *renderables) -> None:
    """Print; on a terminal, output taller than the screen goes through the user's pager ($PAGER,
    else less) with its colours. less gets -R (and -F: no pager when it fits, -X: it stays on
    screen) unless $LESS says otherwise, as git does. Pipes and short output are printed as is."""
    import os

    if not console.is_terminal:
        for r in renderables:
            console.print(r)
        return
    from rich.segment import Segment, Segments

    # laid out once: the lines that decide screen or pager are the lines printed (a 200-row table
    # takes ~0.1 s to lay out)
    lines = [line for r in renderables for line in console.render_lines(r, pad=False)]
    drawn = Segments([segment for line in lines for segment in (*line, Segment.line())])
    if len(lines) < console.height:
        console.print(drawn, end="")
        return
    os.environ.setdefault("LESS", "-FRX")
    with console.pager(styles=True):
        console.print(drawn, end="")


@contextmanager
def progress_bar(console: Console):
    """Yields progress(what, done, total) that draws one bar per step on `console` while the block
    runs (cleared at the end), or None when `console` is not a terminal: no bar in a pipe or a log."""
    if not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(clean(what), total=total)
            bar.update(tasks[what], completed=done, total=total)

        yield progress
