"""The application: owns corpus.db, runs the crawler and nlp stages over it, publishes it."""

__version__ = "0.1.0"
