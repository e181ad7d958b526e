"""quiz: spaced-repetition flashcards for computer-vision interviews, with runnable proofs."""

from quiz.errors import QuizError, UsageError

__version__ = "0.1.0"
__all__ = ["QuizError", "UsageError", "__version__"]
