"""Mock interviews (quiz/mock.py) and typed answers: the loop, a pipe, and a real pseudo-terminal."""

import random
import sqlite3
import sys

import pexpect
from fsrs import Card
from typer.testing import CliRunner

from quiz import mock, schedule
from quiz.bank import load_banks
from quiz.cli import app
from quiz.store import Store

QS = list(load_banks()[0].questions)
runner = CliRunner()


class Clock:
    """A fake monotonic timer: answering a question takes `per_answer` seconds."""

    def __init__(self, per_answer):
        self.t = 0.0
        self.per_answer = per_answer

    def __call__(self):
        return self.t


class MockUI:
    """Answers from a script: typed texts (str), ratings (1–4), 'quit' or None (Ctrl-C while typing)."""

    def __init__(self, script, clock=None):
        self.script = list(script)
        self.clock = clock
        self.shown, self.messages, self.suggested, self.coverage = [], [], [], []

    def _next(self):
        return self.script.pop(0) if self.script else "quit"

    def question(self, q, progress):
        self.shown.append((q.id, progress))

    def read_answer(self):
        if self.clock:
            self.clock.t += self.clock.per_answer
        return self._next()

    def answer(self, q, coverage=None):
        self.coverage.append(coverage)

    def ask_rating(self, intervals, can_prove, suggested=None, can_undo=True, card_keys=True):
        assert not can_prove and not can_undo and not card_keys
        self.suggested.append(suggested)
        return self._next()

    def message(self, text):
        self.messages.append(text)


def test_pick_is_random_but_seedable():
    a = mock.pick(QS, 5, random.Random(1))
    assert a == mock.pick(QS, 5, random.Random(1)) and len(set(a)) == 5
    assert [q.id for q in a] != [q.id for q in QS[:5]]
    assert len(mock.pick(QS, 50, random.Random(1))) == 20


def test_mock_answers_are_logged_as_mock_and_reschedule(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = schedule.scheduler(fuzz=False)
    clock = Clock(per_answer=42)
    ui = MockUI(["identity skip connection and gradient flow\nresidual learning is easier", 3,
                 "", 1], clock)
    answers = mock.run(store, s, [QS[0], QS[6]], ui, clock=lambda: now, timer=clock)
    assert [a.rating for a in answers] == [3, 1] and [a.seconds for a in answers] == [42, 42]
    assert [p for _, p in ui.shown] == ["mock 1/2 · 0:00", "mock 2/2 · 0:42"]
    assert ui.suggested == [answers[0].coverage.suggested, 1] and ui.coverage[1].score == 0
    reviews = store.reviews()
    assert [(r.qid, r.rating, r.kind) for r in reviews] == [(1, 3, "mock"), (7, 1, "mock")]
    # the card's state is the rating's outcome, as after any review
    expected = schedule.review(s, schedule.new_card(reviews[0].card_id, now), 3, now)
    assert Card.from_json(store.cards()[("modern-backbones", 1)]["card_json"]).to_dict() == expected.to_dict()
    assert store.counts()[("modern-backbones", 1)] == (1, 0)
    assert store.answers_since(now, new=True) == 2  # a mock answer to a new card introduces it, like a review
    rows, totals = mock.report(answers, 2)
    assert [(r["id"], r["seconds"], r["rating"]) for r in rows] == [(1, 42, 3), (7, 42, 1)]
    assert totals["answered"] == 2 and totals["seconds"] == 84 and totals["ratings"] == {1: 1, 2: 0, 3: 1, 4: 0}
    assert totals["coverage"] == round(answers[0].coverage.score / 2, 4)


def test_time_budget_stops_before_the_next_question(tmp_path, now):
    store = Store(tmp_path / "q.db")
    clock = Clock(per_answer=130)
    ui = MockUI(["a", 2, "b", 2, "c", 2], clock)
    answers = mock.run(store, schedule.scheduler(), QS[:5], ui, minutes=4, clock=lambda: now, timer=clock)
    assert len(answers) == 2  # 0:00 and 2:10 start within 4 minutes; 4:20 does not
    assert [p for _, p in ui.shown] == ["mock 1/5 · 0:00 of 4:00", "mock 2/5 · 2:10 of 4:00"]
    assert ui.messages == ["Time is up (4 min): 2 of 5 questions asked."]
    assert mock.report(answers, 5, 4)[1]["budget_seconds"] == 240


def test_quitting_keeps_rated_answers_only(tmp_path, now):
    store = Store(tmp_path / "q.db")
    answers = mock.run(store, schedule.scheduler(), QS[:3], MockUI(["x", 4, "y", "quit"]), clock=lambda: now)
    assert [a.rating for a in answers] == [4, None]
    assert [r.rating for r in store.reviews()] == [4]
    assert mock.report(answers, 3)[1]["rated"] == 1
    # Ctrl-C while typing: nothing more is asked
    answers = mock.run(store, schedule.scheduler(), QS[3:5], MockUI([None]), clock=lambda: now)
    assert answers == [] and len(store.reviews()) == 1


def test_undo_of_a_mock_answer_restores_the_card(tmp_path, now):
    store = Store(tmp_path / "q.db")
    answers = mock.run(store, schedule.scheduler(), QS[:1], MockUI(["x", 3]), clock=lambda: now)
    store.undo(answers[0].review_id)
    assert store.reviews() == [] and store.cards() == {}


# -- through a pipe ------------------------------------------------------------------

def seeded(seed, n, questions=QS):
    return [q.id for q in mock.pick(questions, n, random.Random(seed))]


def test_mock_from_a_pipe(home):
    first, second = seeded(4, 2)
    result = runner.invoke(app, ["mock", "-n", "2", "--seed", "4"],
                           input="It reduces dimensionality\nbefore the expensive 3x3 convolution.\n\n3\n\n1\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Mock interview: 2 questions." in out and "mock 1/2" in out and "mock 2/2" in out
    assert out.count("Type your answer; an empty line ends it.") == 2
    assert out.count("suggested rating:") == 2 and "key terms" in out
    assert "2 of 2 answered" in out and "Again 1  Hard 0  Good 1  Easy 0" in out
    reviews = Store(home / "quiz.db").reviews()
    assert [(r.qid, r.rating, r.kind) for r in reviews] == [(first, 3, "mock"), (second, 1, "mock")]
    assert set(Store(home / "quiz.db").cards()) == {("modern-backbones", first), ("modern-backbones", second)}


def test_mock_pipe_bad_rating_and_end_of_input(home):
    result = runner.invoke(app, ["mock", "-n", "3", "--seed", "1", "--tag", "resnet"], input="answer\n\n7\n2\nmore\n")
    assert result.exit_code == 0, result.output
    assert "expected 1–4, q; got '7'" in result.stdout
    assert "2 of 3 answered" in result.stdout and "not rated" in result.stdout
    assert [r.rating for r in Store(home / "quiz.db").reviews()] == [2]


def test_session_keys_do_not_end_a_mock(home):
    # ?, -, @, * and e act on a card in a study session; in a mock interview they are not ratings
    result = runner.invoke(app, ["mock", "-n", "2", "--seed", "1"], input="residual\n\n?\n-\n3\nfoo\n\n3\n")
    assert result.exit_code == 0, result.output
    assert "expected 1–4, q; got '?'" in result.stdout and "expected 1–4, q; got '-'" in result.stdout
    assert "2 of 2 answered" in result.stdout
    assert [r.rating for r in Store(home / "quiz.db").reviews()] == [3, 3]


def test_mock_with_no_answers_and_bad_options(home):
    result = runner.invoke(app, ["mock"], input="")
    assert result.exit_code == 0 and "No answers given." in result.stdout
    for args in (["mock", "-n", "0"], ["mock", "--minutes", "0"], ["mock", "--deck", "nope"]):
        bad = runner.invoke(app, args)
        assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_mock_help(home):
    result = runner.invoke(app, ["mock", "--help"])
    assert result.exit_code == 0 and "--minutes" in result.stdout and "--questions" in result.stdout


def test_start_type_from_a_pipe(home):
    result = runner.invoke(app, ["start", "--type", "--limit", "2"],
                           input="identity skip connection: gradient flow backwards\nresidual learning\n\n4\n\n1\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "✓ Gradient Flow" in out and "◐ Residual Learning" in out and "✗ Loss Landscape" in out
    assert "suggested rating: 2 Hard" in out  # (1 + 0.4 + 0) / 3 of the key terms
    assert "suggested rating: 1 Again" in out  # the empty answer to question 2
    reviews = Store(home / "quiz.db").reviews()
    assert [(r.qid, r.rating, r.kind) for r in reviews] == [(1, 4, "review"), (2, 1, "review")]


# -- in a real pseudo-terminal --------------------------------------------------------

RATE = "4 Easy"


def spawn(home, *args):
    env = {"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "xterm", "COLUMNS": "100", "LINES": "40"}
    return pexpect.spawn(sys.executable, ["-m", "quiz", *args], env=env, encoding="utf-8", timeout=30,
                         dimensions=(40, 100))


def logged(home):
    db = sqlite3.connect(home / "quiz.db")
    return db.execute("SELECT qid, rating, kind FROM reviews ORDER BY id").fetchall()


def test_t_types_an_answer_in_start(home):
    child = spawn(home, "start", "--limit", "2")
    child.expect("t: type it")
    child.send("t")
    child.expect("an empty line or Ctrl-D ends it")
    child.expect(r"0:0\d › ")  # the running timer
    child.sendline("the identity skip connection keeps gradient flow")
    child.expect(r"› ")
    child.sendline("residual learning is easier")
    child.expect(r"› ")
    child.sendline("")  # an empty line ends the answer
    child.expect("✓ Gradient Flow")
    child.expect("✓ Residual Learning")
    child.expect("✗ Loss Landscape")
    child.expect("suggested rating: ")
    child.expect("2 Hard")
    child.expect(RATE)
    child.send("4")  # the user's rating, not the suggestion
    child.expect("modern-backbones #2")
    child.expect("show answer")
    child.send(" ")  # not typed: a plain reveal still works
    child.expect(RATE)
    child.send("4")
    child.expect("That was the last card")
    child.send("\r")
    child.expect("Session summary")
    child.expect(pexpect.EOF)
    assert logged(home) == [(1, 4, "review"), (2, 4, "review")]


def test_mock_in_a_terminal(home):
    first, second = seeded(2, 2)
    child = spawn(home, "mock", "-n", "2", "--seed", "2", "--minutes", "30")
    child.expect("mock 1/2 · 0:00 of 30:00")
    child.expect(r"0:0\d › ")
    child.sendline("first line of my answer")
    child.expect(r"› ")
    child.sendline("and a second line")
    child.expect(r"› ")
    child.sendline("")
    child.expect("covered")
    child.expect("suggested rating")
    child.expect("q quit")
    child.send("u")  # no undo in a mock interview: ignored
    child.send("2")
    child.expect("mock 2/2")
    child.expect(r"› ")
    child.send("an answer ended with Ctrl-D")
    child.sendeof()  # Ctrl-D after some text ends the answer
    child.expect("suggested rating")
    child.expect("q quit")
    child.send("4")
    child.expect("2 of 2 answered")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert logged(home) == [(first, 2, "mock"), (second, 4, "mock")]


def test_ctrl_c_ends_a_mock_with_its_report(home):
    first, *_ = seeded(5, 3)
    child = spawn(home, "mock", "-n", "3", "--seed", "5")
    child.expect(r"› ")
    child.sendline("")
    child.expect("q quit")
    child.send("1")
    child.expect("mock 2/3")
    child.expect(r"› ")
    child.sendintr()
    child.expect("1 of 3 answered")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert logged(home) == [(first, 1, "mock")]
