"""nlp library (init placeholder)."""
