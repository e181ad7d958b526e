"""Everything users see, drawn with Rich. Bank text is data: it is rendered as
Markdown (never as Rich markup), with control characters removed and `$…$`
math turned into Unicode."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
CODE_OR_MATH = re.compile(r"(`+)(?:.+?)\1|\$(?!\s)([^$\n]+?)(?<!\s)\$")
SUPERSCRIPT = str.maketrans("0123456789+-()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ")
SUBSCRIPT = str.maketrans("0123456789+-()", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎")

_latex = None


def clean(text: str) -> str:
    """Strip ANSI escape sequences and control characters (keeps newlines and tabs)."""
    return CONTROL.sub("", ANSI.sub("", text))


def _math(latex: str) -> str:
    global _latex
    if _latex is None:
        from pylatexenc.latex2text import LatexNodes2Text

        _latex = LatexNodes2Text(math_mode="text")
    text = _latex.latex_to_text(latex)
    text = re.sub(r"\s*([×·])\s*", r"\1", text)  # 3 ×3 → 3×3, x ·σ → x·σ
    text = re.sub(r"\s*([→≈≤≥≠⇒])\s*", r" \1 ", text).strip()  # →3 → " → 3"
    text = text.replace("ϕ", "φ")
    text = re.sub(r"\^\{?([0-9+\-()n]+)\}?", lambda m: m[1].translate(SUPERSCRIPT), text)
    text = re.sub(r"_\{?([0-9+\-()]+)\}?", lambda m: m[1].translate(SUBSCRIPT), text)
    return text


def math_to_unicode(text: str) -> str:
    """Convert only the `$…$` spans (never code spans) from LaTeX to Unicode."""
    return CODE_OR_MATH.sub(lambda m: m[0] if m[1] else _math(m[2]), text)


def markdown(text: str):
    from rich.markdown import Markdown  # 30 ms: only where Markdown is drawn

    return Markdown(math_to_unicode(clean(text)))


def plain(text: str) -> str:
    """Bank text as one plain line: cleaned, math converted (for tables)."""
    return " ".join(math_to_unicode(clean(text)).split())


def bullets(answer) -> str:
    """Answer bullets as one Markdown list; a bullet's later lines are indented under it."""
    return "\n".join("- " + b.replace("\n", "\n  ") for b in answer)


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def question_panel(q, progress: str = "") -> Panel:
    title = Text(f"{progress}  " if progress else "")
    title.append(f"{q.deck} #{q.id}", style="bold")
    subtitle = Text(" · ".join(q.tags), style="dim") if q.tags else None
    return Panel(markdown(q.question), title=title, title_align="left", subtitle=subtitle,
                 subtitle_align="right", border_style="cyan", padding=(1, 2))


def answer_panel(q) -> Panel:
    return Panel(markdown(bullets(q.answer)), title=Text("Answer", style="bold"), title_align="left",
                 border_style="green", padding=(0, 2))


def relative(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "now"
    from quiz.schedule import human_delta

    delta = when - now
    if delta.total_seconds() <= 0:
        return "now" if -delta < timedelta(minutes=1) else f"{human_delta(-delta)} ago"
    return f"in {human_delta(delta)}"


def rating_prompt(intervals: dict[int, str], extra: str) -> Text:
    styles = {1: "red", 2: "yellow", 3: "green", 4: "blue"}
    names = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
    t = Text()
    for r in (1, 2, 3, 4):
        if r > 1:
            t.append(" · ", style="dim")
        t.append(f"{r} {names[r]} ", style=f"bold {styles[r]}")
        t.append(intervals[r])
    t.append(f"   {extra}", style="dim")
    return t


def cards_table(rows: list[dict], now: datetime) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, expand=True)
    for name, kw in [("id", {"justify": "right"}), ("question", {"ratio": 1}), ("tags", {"style": "dim", "no_wrap": True, "overflow": "ellipsis", "max_width": 22}),
                     ("state", {"no_wrap": True}), ("due", {"no_wrap": True}), ("stab.", {"justify": "right"}), ("R", {"justify": "right"})]:
        table.add_column(name, **kw)
    for r in rows:
        due = datetime.fromisoformat(r["due"]) if r["due"] else None
        table.add_row(
            Text(f"{r['deck']}/{r['id']}" if r.get("_show_deck") else str(r["id"])),
            Text(plain(r["question"])),
            Text(", ".join(r["tags"])),
            Text(r["state"], style={"new": "cyan", "learning": "yellow", "relearning": "red"}.get(r["state"], "")),
            Text(relative(due, now) if due else "new"),
            Text("" if r["stability"] is None else f"{r['stability']:.1f}d"),
            Text("" if r["retrievability"] is None else f"{r['retrievability']:.0%}"),
        )
    return table


def summary_panel(s: dict) -> Panel:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    t.add_row("reviewed", str(s["reviewed"]))
    t.add_row("ratings", "  ".join(f"{name} {n}" for name, n in s["ratings"].items()))
    t.add_row("time", s["time"])
    t.add_row("next due", s["next_due"])
    return Panel(t, title=Text("Session summary", style="bold"), title_align="left", border_style="magenta")


VERDICT = {True: Text("✓ holds", style="bold green"), False: Text("✗ does not hold", style="bold red"),
           None: Text("– not shown", style="yellow")}


def proof_view(title: str, result) -> Group:
    """The claims table (and figures) of one proof run."""
    table = Table(title=Text(plain(title), style="bold"), show_lines=True, expand=True)
    table.add_column("claim", ratio=3)
    table.add_column("measured", ratio=3, style="dim")
    table.add_column("value", ratio=2)
    table.add_column("verdict", ratio=2)
    for c in result.claims:
        verdict = VERDICT[c.holds].copy()
        if c.note:
            verdict.append("\n" + c.note, style="dim")
        table.add_row(Text(plain(c.claim)), Text(c.measured), Text(c.value), verdict)
    parts = [table]
    for f in result.figures:
        parts.append(Panel(Text(f.text), title=Text(f.title), title_align="left", border_style="blue", expand=False))
    parts.append(Text(f"{result.held}/{len(result.claims)} claims hold · {result.seconds:.2f}s · proof {result.name}",
                      style="dim"))
    return Group(*parts)


def proofs_summary(results) -> Table:
    table = Table(title=Text("Proofs", style="bold"), expand=True)
    table.add_column("#", justify="right")
    table.add_column("question", ratio=1)
    table.add_column("held", justify="right", no_wrap=True)
    table.add_column("not shown", justify="right", no_wrap=True)
    table.add_column("seconds", justify="right")
    for q, r in results:
        failed = any(c.holds is False for c in r.claims)
        table.add_row(str(q.id), Text(plain(q.question)),
                      Text(f"{r.held}/{len(r.claims)}", style="red" if failed else "green"),
                      str(sum(c.holds is None for c in r.claims)), f"{r.seconds:.2f}")
    return table
