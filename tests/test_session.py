from datetime import timedelta

from fsrs import Card, Rating, Scheduler

from quiz import schedule, session
from quiz.bank import load_banks
from quiz.store import Store, card_id

QS = list(load_banks()[0].questions)


class ScriptedUI:
    """A UI that answers from a script: 'reveal', 'quit', 'undo', 1–4 or 'prove'."""

    def __init__(self, script):
        self.script = list(script)
        self.shown = []
        self.messages = []
        self.offered_undo = []

    def _next(self):
        return self.script.pop(0) if self.script else "quit"

    def question(self, q, progress):
        self.shown.append((q.id, progress))

    def wait_reveal(self, can_undo):
        return self._next()

    def wait_finish(self, later=(), now=None):
        self.later = later
        return self._next()

    def answer(self, q, coverage=None):
        pass

    def redraw(self, q, progress, coverage=None):
        self.shown.append((q.id, "again"))

    def ask_rating(self, intervals, can_prove, can_undo=True, can_show=False, suggested=None):
        self.offered_undo.append(can_undo)
        self.labels = getattr(self, "labels", []) + [intervals]
        return self._next()

    def message(self, text, style=None):
        self.messages.append(text)

    def feedback(self, text):
        self.messages.append(text)


def studied(store, qid, due, now):
    """Put question `qid` in review state, due at `due`."""
    s = Scheduler(enable_fuzzing=False)
    card = Card(card_id=card_id("modern-backbones", qid), due=now - timedelta(days=30))
    card, _ = s.review_card(card, Rating.Good, now - timedelta(days=30))
    card, _ = s.review_card(card, Rating.Good, now - timedelta(days=29))
    card.due = due
    store.record("modern-backbones", qid, 3, now - timedelta(days=29), None, None, card)


def test_due_first_most_overdue_first_then_new(tmp_path, now):
    store = Store(tmp_path / "q.db")
    studied(store, 5, now - timedelta(days=1), now)
    studied(store, 9, now - timedelta(days=4), now)
    studied(store, 2, now + timedelta(days=4), now)  # not due
    items = session.select(QS, store, now, new_per_day=3)
    assert [i.question.id for i in items] == [9, 5, 1, 3, 4]
    assert [i.question.id for i in session.select(QS, store, now, new_per_day=3, limit=3)] == [9, 5, 1]


def test_new_cards_per_day_counts_todays_first_reviews(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, new_per_day=2))
    session.study(s, ScriptedUI(["reveal", 3, "reveal", 3]), clock=lambda: now)
    # both new cards of today are used up: nothing new until tomorrow
    assert session.select(QS, store, now, new_per_day=2) == []
    tomorrow = session.select(QS, store, now + timedelta(days=1), new_per_day=2)
    assert [(i.question.id, i.card is None) for i in tomorrow] == [(1, False), (2, False), (3, True), (4, True)]


def test_cram_selects_everything_and_does_not_reschedule(tmp_path, now):
    store = Store(tmp_path / "q.db")
    studied(store, 2, now + timedelta(days=4), now)
    items = session.select(QS, store, now, cram=True, new_per_day=0)
    assert len(items) == 20
    before = store.cards()[("modern-backbones", 2)]["card_json"]
    s = session.Session(store, schedule.scheduler(), items[1:2], cram=True)
    session.study(s, ScriptedUI(["reveal", 1]), clock=lambda: now)
    assert store.cards()[("modern-backbones", 2)]["card_json"] == before
    assert [r.kind for r in store.reviews()][-1] == "cram"


def test_rating_commits_the_outcome_that_was_shown(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, limit=1))
    s.next(now)
    shown = s.outcomes(now)
    session.study(s, ScriptedUI(["reveal", 4]), clock=lambda: now)
    (review,) = store.reviews()
    assert review.rating == 4 and review.before_json is None
    assert Card.from_json(review.after_json).due == shown[4].due


def test_undo_removes_the_rating_and_shows_the_card_again(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, limit=3))
    ui = ScriptedUI(["reveal", 3, "reveal", 2, "undo", "reveal", 4, "quit"])
    session.study(s, ui, clock=lambda: now)
    assert [(r.qid, r.rating) for r in store.reviews()] == [(1, 3), (2, 4)]
    # 3 was on screen when `u` took back the rating of 2; 2 came up again, then 3
    assert [q for q, _ in ui.shown] == [1, 2, 3, 2, 3]
    # the header: cards left per queue, the one on screen included (1 is in its 10-minute step after Good)
    assert [p for _, p in ui.shown] == ["3 new · 0 learning · 0 review", "2 new · 1 learning · 0 review",
                                        "1 new · 2 learning · 0 review", "2 new · 1 learning · 0 review",
                                        "1 new · 1 learning · 0 review"]
    assert s.summary(None, now)["ratings"] == {"Again": 0, "Hard": 0, "Good": 1, "Easy": 1}


def test_undo_at_the_question_prompt(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, limit=2))
    session.study(s, ScriptedUI(["reveal", 1, "undo", "quit"]), clock=lambda: now)
    assert store.reviews() == [] and store.cards() == {}


def test_prove_key_runs_the_proof_then_asks_again(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, limit=1))
    proved = []
    ui = ScriptedUI(["reveal", "prove", "card", 4])
    session.study(s, ui, clock=lambda: now, prove=lambda q: proved.append(q.id))
    assert proved == [1] and [r.rating for r in store.reviews()] == [4]
    # the proof is left on screen under the rating prompt; `c` (card) draws the card again
    assert ui.shown == [(1, "1 new · 0 learning · 0 review"), (1, "again")]


def test_card_rows(tmp_path, now):
    store = Store(tmp_path / "q.db")
    studied(store, 4, now - timedelta(days=2), now)
    rows = session.card_rows(QS, store, schedule.scheduler(), now)
    assert len(rows) == 20
    row = rows[3]
    assert (row["id"], row["state"], row["reps"], row["lapses"]) == (4, "review", 1, 0)
    assert 0 < row["retrievability"] < 1
    assert [r["id"] for r in session.card_rows(QS, store, schedule.scheduler(), now, due_only=True)] == [4]


class Clock:
    """A clock the test moves on."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def test_a_learning_card_comes_back_once_due_before_the_rest(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, limit=4))
    clock = Clock(now)

    class UI(ScriptedUI):
        def ask_rating(self, *a, **kw):
            clock.now += timedelta(seconds=40)  # each card takes 40 s to answer
            return super().ask_rating(*a, **kw)

    # 1: Again (back in 1 minute); 2: Easy; 80 s in, 1 is due: it comes before 3 and 4
    ui = UI(["reveal", 1, "reveal", 4, "reveal", 4, "reveal", 4, "reveal", 4, "done"])
    session.study(s, ui, clock=clock)
    assert [q for q, _ in ui.shown] == [1, 2, 1, 3, 4]
    assert ui.shown[2][1] == "2 new · 1 learning · 0 review"


def test_with_nothing_else_left_learning_cards_due_soon_come_at_once(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, limit=2))
    # card 1: Easy (graduates to days); card 2: Again (1 minute) → shown again at once (learn ahead):
    # Good (its 10-minute step) → again: Good → graduates
    ui = ScriptedUI(["reveal", 4, "reveal", 1, "reveal", 3, "reveal", 3, "done"])
    session.study(s, ui, clock=lambda: now)
    assert [q for q, _ in ui.shown] == [1, 2, 2, 2]
    assert [(r.qid, r.rating) for r in store.reviews()] == [(1, 4), (2, 1), (2, 3), (2, 3)]
    assert ui.later == []
    # a learning step beyond the learn-ahead limit (20 min) waits: the finish says when it is due
    relearn = session.Session(store, schedule.scheduler(fuzz=False, parameters=None),
                              session.select(QS, store, now + timedelta(days=30), limit=1))
    ui = ScriptedUI(["reveal", 1, "done"])
    s2 = schedule.scheduler(fuzz=False)
    s2.relearning_steps = (timedelta(hours=1),)
    relearn.scheduler = s2
    session.study(relearn, ui, clock=lambda: now + timedelta(days=30))
    assert len(ui.later) == 1 and ui.later[0] - (now + timedelta(days=30)) == timedelta(hours=1)
    # nothing to go over in a cram session
    cram = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, cram=True, limit=1),
                           cram=True)
    session.study(cram, ScriptedUI(["reveal", 1]), clock=lambda: now)
    assert cram.learning == {}


def test_labels_are_what_is_scheduled(tmp_path, now):
    store = Store(tmp_path / "q.db")
    clock = Clock(now)
    s = session.Session(store, schedule.scheduler(), session.select(QS, store, now, limit=2))  # fuzz on

    class UI(ScriptedUI):
        def ask_rating(self, *a, **kw):
            clock.now += timedelta(seconds=29)  # the rating comes a while after the labels were drawn
            return super().ask_rating(*a, **kw)

    ui = UI(["reveal", 1, "reveal", 2, "quit"])
    session.study(s, ui, clock=clock)
    assert ui.labels[0][1] == "1m" and ui.messages[0] == "Again on modern-backbones/1 → back in 1m"
    assert ui.labels[1][2] == "6m" and ui.messages[1] == "Hard on modern-backbones/2 → back in 6m"


def test_bury_and_suspend_in_a_session_are_undoable_flag_toggles(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, limit=3))
    ui = ScriptedUI(["bury", "reveal", "suspend", "undo", "flag", "flag", "flag", "reveal", 3, "help", "quit"])
    session.study(s, ui, clock=lambda: now)
    assert [q for q, _ in ui.shown] == [1, 2, 3, 2, 3]  # 3 was on screen when `u` brought 2 back
    marks = store.marks()
    assert marks[("modern-backbones", 1)]["buried_until"] > now.isoformat()
    assert marks[("modern-backbones", 2)]["suspended"] == 0 and marks[("modern-backbones", 2)]["flagged"] == 1
    assert [(r.qid, r.rating) for r in store.reviews()] == [(2, 3)]
    assert ui.messages[:3] == ["Buried modern-backbones/1 until tomorrow · u: undo",
                               "Suspended modern-backbones/2 (quiz unsuspend modern-backbones/2 puts it back) · u: undo",
                               "Undone: modern-backbones/2 is no longer suspended; it comes up again."]
    assert ui.messages[3:6] == ["Flagged modern-backbones/2 (quiz list --flagged)", "Unflagged modern-backbones/2",
                                "Flagged modern-backbones/2 (quiz list --flagged)"]
    assert ui.messages[-1] == session.KEYS_HELP
    assert session.select(QS, store, now, limit=2)[0].question.id == 3  # 1 buried today, 2 rated


def test_edit_in_a_session_shows_the_edited_card(tmp_path, now):
    store = Store(tmp_path / "q.db")
    from dataclasses import replace

    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, limit=2))
    ui = ScriptedUI(["edit", "reveal", 4, "reveal", 4])
    edited = [replace(q, question=f"Edited {q.id}?") for q in QS]
    session.study(s, ui, clock=lambda: now, edit=lambda q: edited)
    assert ui.shown == [(1, "2 new · 0 learning · 0 review")] * 2 + [(2, "1 new · 0 learning · 0 review")]
    assert [step.item.question.question for step in s.done] == ["Edited 1?", "Edited 2?"]  # the others too


def test_each_rating_says_what_it_recorded_and_undo_which(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, limit=2))
    ui = ScriptedUI(["reveal", 3, "reveal", "undo", "quit"])
    session.study(s, ui, clock=lambda: now)
    assert ui.offered_undo == [False, True]  # nothing to undo on the first card
    assert ui.messages[0] == "Good on modern-backbones/1 → back in 10m"
    assert ui.messages[1] == "Undone: Good on modern-backbones/1 is removed from the log; that card comes up again."


def test_new_card_limit_message_leaves_suspended_cards_out(tmp_path, now):
    store = Store(tmp_path / "q.db")
    settings = {"new_per_day": 2, "new_per_day_by_deck": {}, "reviews_per_day": 200, "reviews_per_day_by_deck": {}}
    qs = QS[:3]
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(qs, store, now, new_per_day=2))
    session.study(s, ScriptedUI(["reveal", 4, "suspend"]), clock=lambda: now)  # 1 started, 2 suspended
    # 1 of 2 started: the limit is not what keeps card 3 out… 
    assert [i.question.id for i in session.select(qs, store, now, new_per_day=2)] == [3]
    # …and with 3 started too, the limit is reached: the suspended card is not counted as waiting
    session.study(session.Session(store, schedule.scheduler(fuzz=False), session.select(qs, store, now, new_per_day=2)),
                  ScriptedUI(["reveal", 4]), clock=lambda: now)
    text = session.nothing_to_study(qs, store, now, settings)
    assert "New-card limit" not in text  # no new card waits: 2 is suspended
    assert "1 card is suspended or buried" in text
    more = QS[:4]
    assert "New-card limit reached (modern-backbones: 2 of 2 started today): 1 new card waits" in \
        session.nothing_to_study(more, store, now, settings)


def test_each_deck_has_its_own_review_limit_and_the_session_says_which_stopped_it(tmp_path, now):
    from quiz.bank import parse_bank

    other = list(parse_bank("deck: other\ntitle: O\nquestions:\n" + "".join(
        f"  - id: {i}\n    question: Q{i}?\n    answer: [a]\n" for i in (1, 2)), "<o>").questions)
    store = Store(tmp_path / "q.db")
    for qid in (1, 2, 3):
        studied(store, qid, now - timedelta(days=1), now)
    for q in other:
        store.record("other", q.id, 3, now - timedelta(days=29), None, None,
                     Card(card_id=card_id("other", q.id), due=now - timedelta(days=1)))
    qs = QS[:3] + other
    settings = {"new_per_day": 0, "new_per_day_by_deck": {}, "reviews_per_day": 2,
                "reviews_per_day_by_deck": {"other": 1}}
    picked = session.select(qs, store, now, **session.limits(settings))
    assert sorted((i.question.deck, i.question.id) for i in picked) == [
        ("modern-backbones", 1), ("modern-backbones", 2), ("other", 1)]
    s = session.Session(store, schedule.scheduler(fuzz=False), picked)
    session.study(s, ScriptedUI(["reveal", 4] * 3 + ["done"]), clock=lambda: now)
    said = session.held_back(qs, store, now, settings, {})
    assert said == ("Daily review limit reached (modern-backbones: 2 of 2 reviews today; other: 1 of 1 reviews "
                    "today): 2 due cards wait. More tomorrow; or raise it: quiz config set reviews_per_day N "
                    "(--deck D for one deck), or study anyway: quiz start --cram.")
