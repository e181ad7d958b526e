"""Running a question's proof: where it runs (here, or a worker process), what must hold first
(a bank's own proof file runs only once trusted), and a study session's background worker.

Nothing heavy is imported here: torch comes in with the proof module (or in the worker)."""

from __future__ import annotations

from quiz.errors import QuizError


def run_for(q, options: dict | None = None, worker=None, timeout: float = 60.0, controls: bool = False,
            settings: list[str] = ()):
    """q's proof result. A built-in proof runs in this process (or in `worker`, a study session's
    background Worker); a bank's own proof file only once trusted (quiz trust), always in a worker
    process, with the same one-thread seeded setup, and stopped after `timeout` seconds.
    `controls`, `settings`: see quiz.proofs.run_proof."""
    from quiz import proofs

    if q.proof is None:
        raise QuizError(f"no proof for {q.key} yet")
    how = {"controls": controls, "settings": list(settings)}
    path = q.proof_path
    if path is None:
        return worker.run(q.proof, options, **how) if worker else proofs.run_proof(q.proof, options, **how)
    from quiz import trust

    how["source"] = trust.trusted_source(path)  # untrusted or changed: nothing is imported, nothing runs
    if worker is not None:
        return worker.run(str(path), options, timeout=timeout, **how)
    from quiz.proofs.worker import Worker

    own = Worker()
    try:
        return own.run(str(path), options, timeout=timeout, **how)
    finally:
        own.close()


def source_of(q) -> str:
    """The code of q's proof: a built-in module's source, or a bank's proof file (a regular file, read
    within bounds: a link to /dev/zero is refused). Nothing is run."""
    from quiz import proofs, trust

    if q.proof_path is None:
        return proofs.source(q.proof)
    return trust.source(q.proof_path).decode("utf-8", "replace")


def run_deck(questions, options: dict | None = None, timeout: float = 60.0, progress=None, controls: bool = False):
    """Every proof of `questions` (those that have one): ([(q, result)], [(q, error message)]). A proof
    that cannot run (untrusted, broken, timed out) is reported and the others go on. `progress(what,
    done, total)` is told which proof runs (a progress bar)."""
    results, failed, worker = [], [], None  # one worker process for the deck's own proof files
    try:
        for n, q in enumerate(questions):
            if progress is not None:
                progress("running proofs", n, len(questions))
            if q.proof_path is not None and worker is None:
                from quiz.proofs.worker import Worker

                worker = Worker()
            try:
                results.append((q, run_for(q, options, worker if q.proof_path else None, timeout, controls)))
            except QuizError as e:
                failed.append((q, str(e)))
    finally:
        if worker is not None:
            worker.close()
    return results, failed
