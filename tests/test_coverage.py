from rich.console import Console

from quiz import render, schedule, session
from quiz.bank import load_banks, parse_bank
from quiz.coverage import derive_terms, match, suggest, words
from quiz.store import Store

QS = list(load_banks()[0].questions)


def bank_question(answer_yaml: str, keywords_yaml: str = ""):
    text = f"deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: {answer_yaml}\n"
    if keywords_yaml:
        text += f"    keywords: {keywords_yaml}\n"
    return parse_bank(text, "k.yaml").questions[0]


def text_of(renderable, width=100):
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_terms_are_bold_terms_then_salient_words():
    bullet = QS[0].answer[0]  # '**Gradient Flow**: The identity skip connection allows gradients to flow ...'
    assert derive_terms(bullet) == ["Gradient Flow", "identity", "skip", "connection", "backwards"]
    # math becomes words; numbers, 3×3 and acronyms are salient however short
    assert derive_terms(r"Used in 50+. Two $3 \times 3$ convs, then SE.") == ["50+", "3x3", "convs", "SE"]
    assert derive_terms("It is what it is.") == []


def test_words_ignore_case_plurals_math_and_spacing():
    # keys: lowercase Snowball stems
    assert words("Gradients FLOW through 3 × 3 and 3*3 convs, σ") == {"gradient", "flow", "through", "3x3", "and",
                                                                      "conv", "sigma"}
    assert words("scales scaling") == {"scale"}  # the stemmer, not a suffix list


def test_matching_rules():
    q = bank_question("['**Gradient Flow** through the identity skip connection.']")
    # every word of a multi-word term is needed; any order; prefixes of four letters or more match
    full = match(q, "the SKIP connections keep the flow of gradients; identity mapping")
    assert [t.matched for t in full.points[0].terms] == [True, True, True, True]
    assert full.points[0].status == "covered" and full.score == 1.0 and full.suggested == 4
    part = match(q, "gradients skip layers")
    assert [(t.text, t.matched) for t in part.points[0].terms] == [
        ("Gradient Flow", False), ("identity", False), ("skip", True), ("connection", False)]
    assert part.points[0].status == "partial" and part.score == 0.25 and part.suggested == 1
    assert match(q, "").points[0].status == "missed"


def test_bank_keywords_replace_the_derived_terms_and_take_alternatives():
    q = bank_question("['Adds the input to the output.', '$x \\cdot \\sigma(x)$']",
                      "[['skip|shortcut connection', 'identity'], []]")
    c = match(q, "a shortcut connection carries x unchanged; the identity")
    first, second = c.points
    assert not first.derived and [t.text for t in first.terms] == ["skip|shortcut connection", "identity"]
    assert first.status == "covered" and first.score == 1.0
    assert second.derived and [t.text for t in second.terms] == ["sigma"]  # [] derives from the bullet
    assert second.status == "missed"
    assert c.covered == 1 and c.score == 0.5 and c.suggested == 2


def test_a_bullet_without_key_terms_is_not_scored():
    q = bank_question("['**Residual** learning.', '$x$']")
    c = match(q, "residual learning")
    assert [p.status for p in c.points] == ["covered", "unscored"]
    assert c.score == 1.0 and len(c.scored) == 1


def test_suggested_rating_thresholds():
    assert [suggest(s) for s in (0, 0.39, 0.4, 0.59, 0.6, 0.89, 0.9, 1.0)] == [1, 1, 2, 2, 3, 3, 4, 4]


def test_coverage_panel_marks_each_bullet_and_lists_terms():
    q = QS[0]
    c = match(q, "identity skip connection so gradient flow goes backwards\nresidual learning")
    out = text_of(render.coverage_panel(q, c))
    lines = out.splitlines()
    assert any(line.startswith("│ ✓ Gradient Flow") for line in lines)
    assert any(line.startswith("│ ◐ Residual Learning") for line in lines)
    assert any(line.startswith("│ ✗ Loss Landscape") for line in lines)
    assert "key terms ✓ Residual Learning, identity  ✗ easier, perturbation, zero" in out
    assert "key terms ✗ Loss Landscape, resnets, smoother, plain, networks" in out
    assert "covered 1/3 points · 47% of key terms" in out


class TypingUI:
    """A scripted UI that can also type answers: 'type' at the reveal prompt, then the text."""

    def __init__(self, script):
        self.script = list(script)
        self.answers, self.suggested = [], []

    def _next(self):
        return self.script.pop(0) if self.script else "quit"

    def question(self, q, progress):
        pass

    def wait_reveal(self, can_undo):
        return self._next()

    def wait_finish(self, later=(), now=None):
        return self._next()

    def read_answer(self):
        return self._next()

    def answer(self, q, coverage=None):
        self.answers.append(coverage)

    def ask_rating(self, intervals, can_prove, suggested=None, can_undo=True, can_show=False):
        self.suggested.append(suggested)
        return self._next()

    def message(self, text, style=None):
        pass

    def feedback(self, text):
        pass


def test_study_with_typed_answers_suggests_but_the_user_rates(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, limit=3))
    ui = TypingUI(["type", "gradient flow via the identity skip connection", 4,  # suggested Again, rated Easy
                   "reveal", 3,                                                 # not typed: no coverage
                   "type", None])                                               # Ctrl-C while typing: quit
    session.study(s, ui, clock=lambda: now)
    assert ui.answers[0].points[0].status == "covered" and ui.answers[1] is None
    assert ui.answers[0].points[0].score == 0.8 and ui.answers[0].score == (0.8 + 0.2) / 3  # "identity" twice
    assert ui.suggested == [1, None]
    assert [(r.qid, r.rating) for r in store.reviews()] == [(1, 4), (2, 3)]


def test_study_type_each_asks_for_every_answer(tmp_path, now):
    store = Store(tmp_path / "q.db")
    s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now, limit=2))
    ui = TypingUI(["", 4, "basic block: two 3x3 convs; bottleneck block", 4])
    session.study(s, ui, clock=lambda: now, type_each=True)
    assert ui.answers[0].score == 0.0
    # 3 of 5, 2 of 5 and 1 of 4 key terms: (0.6 + 0.4 + 0.25) / 3 ≈ 0.42 → Hard
    assert [p.status for p in ui.answers[1].points] == ["covered", "partial", "partial"]
    assert ui.suggested == [1, 2]
    assert [r.rating for r in store.reviews()] == [4, 4]


def test_filler_words_are_not_key_terms_and_rare_words_weigh_more():
    from quiz.coverage import derive_terms, weights

    q9 = next(q for q in QS if q.id == 9)
    idf = weights(QS)
    terms = [t for b in q9.answer for t in derive_terms(b, idf)]
    assert "technique" not in terms and "effectively" not in terms
    assert "technique" in derive_terms(q9.answer[0])  # the plain first-four choice had it
    assert idf["ensembl"] > idf["network"]  # said of one card vs of many
    # the case: a correct description of stochastic depth, in the learner's words
    typed = ("during training whole residual blocks are randomly dropped, only the skip path is kept; it regularizes "
             "deep resnets and trains an ensemble of shallower networks")
    cov = match(q9, typed, QS)
    assert cov.covered == 3 and cov.suggested >= 3
    # the same words without a deck to weigh them: every term weighs 1
    assert {t.weight for p in match(q9, typed).points for t in p.terms} == {1.0}
    # filler around nothing: still Again
    assert match(q9, "a technique that effectively changes the network", QS).suggested == 1


def test_the_weights_kept_are_those_of_the_corpus_given():
    # the weights were kept by the corpus's id: a new list at a freed one's address got the old deck's weights
    from quiz.coverage import weights, weights_for

    def deck(*words):
        qs = "".join(f"  - id: {i}\n    question: Why {w}?\n    answer: ['{w} helps']\n" for i, w in enumerate(words, 1))
        return list(parse_bank(f"deck: d\ntitle: T\nquestions:\n{qs}", "d.yaml").questions)

    decks = [deck("alpha", "beta"), deck("gamma", "delta")]
    expected = [weights(d) for d in decks]
    stale = 0
    for k in range(200):
        corpus = list(decks[k % 2])
        stale += weights_for(corpus[0], corpus) != expected[k % 2]
        del corpus
    assert stale == 0
