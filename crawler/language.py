"""Language identification: ru / en / kk / other, with py3langid's bundled model."""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

# Languages we tell apart; anything else is reported as "other".
KNOWN = ["ru", "en", "kk", "ky", "uz", "tg", "uk", "be", "tr", "de", "fr", "es", "ar"]
OURS = {"ru", "en", "kk"}
# Kazakh-only letters: a short text with several of them is Kazakh even if the model hesitates.
KAZAKH_LETTERS = set("әғқңөұүһі")


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    ident = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    ident.set_languages(KNOWN)
    return ident


def identify(text: str) -> tuple[str, float]:
    """Return (language, probability); language is ru, en, kk or other."""
    sample = text[:2000]  # plenty for a language, and the model's cost grows with length
    if not sample.strip():
        return "other", 0.0
    letters = [c for c in sample.lower() if c.isalpha()]
    kazakh = sum(c in KAZAKH_LETTERS for c in letters)
    if letters and kazakh / len(letters) > 0.01:
        return "kk", 1.0
    lang, prob = _identifier().classify(sample)
    return (lang if lang in OURS else "other"), float(prob)
