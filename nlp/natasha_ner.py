"""Russian NER: a spaCy component that runs Natasha's Slovnet NER and sets `doc.ents`."""

from __future__ import annotations

import warnings
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans


@lru_cache(maxsize=1)
def _tagger():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # natasha imports pkg_resources
        from natasha import NewsEmbedding, NewsNERTagger, Segmenter
    return Segmenter(), NewsNERTagger(NewsEmbedding())


@Language.factory("natasha_ner")
def make_natasha_ner(nlp: Language, name: str):
    segmenter, tagger = _tagger()

    def natasha_ner(doc: Doc) -> Doc:
        from natasha import Doc as NatashaDoc

        if not doc.text.strip():
            return doc
        ndoc = NatashaDoc(doc.text)
        ndoc.segment(segmenter)
        ndoc.tag_ner(tagger)
        spans = []
        for s in ndoc.spans:
            span = doc.char_span(s.start, s.stop, label=s.type, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        doc.ents = filter_spans(spans)
        return doc

    return natasha_ner
