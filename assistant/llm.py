"""LLM mode: numbered passages to a chat model, then the output is checked.

The model sits behind the :class:`baocao.protocols.ChatModel` seam. The shipped ones are
LangChain chat models, built by name from :data:`chat_models`: any OpenAI-compatible endpoint
(``langchain_openai.ChatOpenAI``: vLLM, llama.cpp, LM Studio, OpenAI) or Ollama
(``langchain_ollama.ChatOllama``). The passages go into the prompt within a token budget
(tiktoken, :mod:`baocao.llm_tokens`), clearly delimited and declared as data, never instructions.

The answer is checked before it is shown: a citation to a passage that does not exist is removed
and reported; a figure that appears in none of the passages it cites (nor in the question) is
reported; an answer without any citation, or in another language than the question's, is
reported. Each failed check is named in :attr:`Checked.failed` (:data:`CHECKS`); the assistant
then gives the extractive answer instead (``LLMSettings.fallback_on_failed_checks``), or shows
the answer marked ``grounded=False``. The model may generate at most
``LLMSettings.max_answer_tokens`` tokens.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.compose import ABSTAIN_EN, ABSTAIN_VI, citation_for
from assistant.conversation import Turn
from assistant.types import Citation
from baocao.lang.detect import Lang, detect_language
from baocao.lang.normalize import collapse_ws
from baocao.lang.tokens import folded_words, is_number, words
from baocao.llm_tokens import count_llm_tokens, truncate_to_tokens
from baocao.protocols import ChatMessage, ChatModel
from baocao.registry import Registry
from baocao.settings import LLMSettings
from vectorstore.hits import Hit

PROMPTS = Path(__file__).resolve().parent / "prompts"
ANSWER_RESERVE_TOKENS = 600  # of max_context_tokens, kept for the instructions and the question
MIN_PASSAGE_TOKENS = 80  # a passage cut shorter than this is left out instead
HISTORY_TURNS = 3  # turns shown to the LLM when condensing a follow-up
MIN_WORDS_FOR_LANGUAGE = 4  # an answer with fewer words (a figure and a citation) has no language to check
CONDENSED_MAX_RATIO = 3  # a "standalone question" this many times longer than the rule's is an answer, not a question

# The checks an LLM answer goes through; Checked.failed names the ones it failed.
CHECK_MISSING_CITATION = "missing-citation"  # cites a passage number that was not given (the citation is removed)
CHECK_UNCITED = "uncited"  # cites no passage at all
CHECK_FIGURE = "figure"  # a figure that is in none of the passages it cites, nor in the question
CHECK_LANGUAGE = "language"  # not in the language of the question
CHECKS = (CHECK_MISSING_CITATION, CHECK_UNCITED, CHECK_FIGURE, CHECK_LANGUAGE)
CITATION_CHECKS = (CHECK_MISSING_CITATION, CHECK_UNCITED)  # "kept to the citation rules" = failed none of these
# Failing these makes the answer ungrounded; a removed citation to a missing passage is repaired, only reported.
BLOCKING_CHECKS = (CHECK_UNCITED, CHECK_FIGURE, CHECK_LANGUAGE)

_CITATION = re.compile(r"\[(\s*\d+(?:\s*[,;]\s*\d+)*\s*)\]")
_FIGURE = re.compile(r"(?<![\w.,/])\d+(?:[.,/]\d+)*(?:\s*%)?")
_ENUMERATOR = re.compile(r"^\s*(?:\d+[.)]|[-*•+])\s+", re.MULTILINE)
# Reasoning models (DeepSeek-R1 and its distills, QwQ) write their reasoning first, between these
# tags; the chat template may open the block itself, so the output can start inside it.
_THINK_OPEN = re.compile(r"<think>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think>", re.IGNORECASE)


class LLMError(RuntimeError):
    """The chat model could not answer (endpoint down, timeout, bad response)."""


@dataclass
class Checked:
    text: str
    citations: list[Citation]
    warnings: list[str] = field(default_factory=list)
    grounded: bool = True
    abstained: bool = False
    failed: list[str] = field(default_factory=list)  # names from CHECKS

    @property
    def blocked(self) -> bool:
        """Whether a failed check makes the answer unfit to show as it is."""
        return any(name in BLOCKING_CHECKS for name in self.failed)


@lru_cache(maxsize=8)
def prompt(name: str) -> str:
    return (PROMPTS / f"{name}.md").read_text(encoding="utf-8").strip()


def language_name(lang: Lang) -> str:
    return "English" if lang == "en" else "Vietnamese (tiếng Việt)"


# --------------------------------------------------------------------------- chat models


class LangChainChatModel:
    """A LangChain chat model as a :class:`ChatModel`; its failures become :class:`LLMError`."""

    def __init__(self, model: Any, settings: LLMSettings) -> None:
        self.model = model
        self.settings = settings
        self.name = f"{settings.provider}:{settings.model}"

    def stream(self, messages: list[ChatMessage]) -> Iterator[str]:
        try:
            for chunk in self.model.stream(_langchain_messages(messages)):
                piece = _content(chunk)
                if piece:
                    yield piece
        except Exception as exc:  # connection refused, timeout, HTTP error, malformed reply
            raise LLMError(_describe(exc, self.settings)) from exc

    def complete(self, messages: list[ChatMessage]) -> str:
        try:
            return _content(self.model.invoke(_langchain_messages(messages)))
        except Exception as exc:
            raise LLMError(_describe(exc, self.settings)) from exc


def _langchain_messages(messages: list[ChatMessage]) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m.role](content=m.content) for m in messages]


chat_models: Registry[ChatModel] = Registry("LLM provider")


@chat_models.register("openai")
def _openai(settings: LLMSettings) -> ChatModel:
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    model = ChatOpenAI(
        model=settings.model or "gpt-4o-mini",
        base_url=settings.base_url or None,
        api_key=SecretStr(settings.api_key or "not-needed"),
        temperature=settings.temperature,
        timeout=settings.timeout_s,
        max_retries=0,
        max_completion_tokens=settings.max_answer_tokens,
        # self-hosted servers (llama-cpp-python, older vLLM) read only the older max_tokens
        extra_body={"max_tokens": settings.max_answer_tokens} if settings.base_url else None,
    )
    return LangChainChatModel(model, settings)


@chat_models.register("ollama")
def _ollama(settings: LLMSettings) -> ChatModel:
    from langchain_ollama import ChatOllama

    model = ChatOllama(
        model=settings.model or "qwen2.5",
        base_url=settings.base_url or None,
        temperature=settings.temperature,
        num_predict=settings.max_answer_tokens,
        client_kwargs={"timeout": settings.timeout_s},
    )
    return LangChainChatModel(model, settings)


def build_chat_model(settings: LLMSettings) -> ChatModel:
    """The configured chat model (no network call is made here)."""
    try:
        return chat_models.create(settings.provider, settings)
    except ValueError as exc:
        raise LLMError(f"no LLM provider configured ({exc})") from exc


# --------------------------------------------------------------------------- answering


class LLMAnswerer:
    def __init__(self, chat: ChatModel, settings: LLMSettings) -> None:
        self.chat = chat
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> LLMAnswerer:
        return cls(build_chat_model(settings), settings)

    # ----- prompt ------------------------------------------------------------------------
    def select_passages(self, hits: list[Hit]) -> list[Hit]:
        """The passages, best first, that fit the prompt's token budget (the last one cut if needed)."""
        budget = max(MIN_PASSAGE_TOKENS, self.settings.max_context_tokens - ANSWER_RESERVE_TOKENS)
        chosen: list[Hit] = []
        used = 0
        for hit in hits:
            tokens = hit.chunk.n_llm_tokens or count_llm_tokens(hit.chunk.text)
            if used + tokens <= budget:
                chosen.append(hit)
                used += tokens
                continue
            left = budget - used
            if left >= MIN_PASSAGE_TOKENS and not chosen:
                chosen.append(_cut(hit, left))
            break
        return chosen

    def messages(self, question: str, passages: list[Hit], lang: Lang) -> list[ChatMessage]:
        abstain = ABSTAIN_EN if lang == "en" else ABSTAIN_VI
        system = prompt("system").replace("{abstain}", abstain).replace("{language}", language_name(lang))
        user = (
            prompt("answer")
            .replace("{language}", language_name(lang))
            .replace("{question}", question.strip())
            .replace("{passages}", format_passages(passages))
        )
        return [ChatMessage("system", system), ChatMessage("user", user)]

    # ----- calls -------------------------------------------------------------------------
    def stream(self, question: str, passages: list[Hit], lang: Lang) -> Iterator[str]:
        """Text pieces of the answer as the model produces them; raises LLMError on failure."""
        yield from self.chat.stream(self.messages(question, passages, lang))

    def generate(self, question: str, passages: list[Hit], lang: Lang) -> str:
        return "".join(self.stream(question, passages, lang))

    def condense(self, question: str, history: list[Turn]) -> str:
        """The follow-up as a standalone question (raises LLMError when the model fails)."""
        lines = []
        for turn in history[-HISTORY_TURNS:]:
            lines.append(f"Q: {turn.resolved}")
            if turn.answer:
                lines.append(f"A: {collapse_ws(turn.answer)[:300]}")
        user = "Conversation:\n" + "\n".join(lines) + f"\n\nFollow-up question: {question.strip()}\n\nStandalone question:"
        reply = self.chat.complete([ChatMessage("system", prompt("condense")), ChatMessage("user", user)])
        text = strip_reasoning(reply)[0].strip().splitlines()
        condensed = text[0].strip().strip('"“”') if text else ""
        return re.sub(r"^(?:standalone question|câu hỏi)\s*:\s*", "", condensed, flags=re.IGNORECASE)

    # ----- checking ----------------------------------------------------------------------
    def check(self, text: str, passages: list[Hit], question: str, lang: Lang | None = None) -> Checked:
        return check_answer(text, passages, question, lang)


def format_passages(passages: list[Hit]) -> str:
    blocks = []
    for n, hit in enumerate(passages, start=1):
        meta = hit.chunk.meta
        source = meta.label if meta else hit.chunk.doc_id
        section = hit.chunk.section
        header = f'<passage n="{n}" source="{_attr(source)}"' + (f' section="{_attr(section)}"' if section else "") + ">"
        blocks.append(f"{header}\n{_neutralize(hit.chunk.text.strip())}\n</passage>")
    return "\n\n".join(blocks)


def _attr(value: str) -> str:
    return value.replace('"', "'").replace("<", "‹").replace(">", "›")


def _neutralize(text: str) -> str:
    """A passage cannot close its own delimiter or open a new one."""
    return re.sub(r"</?\s*passage", lambda m: m.group(0).replace("<", "‹"), text, flags=re.IGNORECASE)


def _cut(hit: Hit, max_tokens: int) -> Hit:
    text = truncate_to_tokens(hit.chunk.text, max_tokens)
    chunk = replace(hit.chunk, text=text, layout=[u for u in hit.chunk.layout if u.end <= len(text)])
    return Hit(chunk=chunk, score=hit.score, rank=hit.rank, legs=hit.legs, why=hit.why + ["cut to fit the prompt"])


def _content(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):  # some providers send content parts
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content or "")


def _describe(exc: BaseException, settings: LLMSettings) -> str:
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    where = settings.base_url or settings.provider
    if "timeout" in name.lower() or "timed out" in text.lower():
        return f"the LLM at {where} did not answer within {settings.timeout_s:g}s"
    if "connect" in name.lower() or "connection" in text.lower():
        return f"cannot reach the LLM at {where}"
    return f"the LLM at {where} failed ({name}: {text})" if text else f"the LLM at {where} failed ({name})"


# --------------------------------------------------------------------------- checking


def strip_reasoning(text: str) -> tuple[str, bool]:
    """The answer without a reasoning model's ``<think>…</think>`` block, and whether the block
    was left unclosed (the model ran out of tokens while reasoning: no answer follows it)."""
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        return text[closes[-1].end():].strip(), False
    opened = _THINK_OPEN.search(text)
    if opened:
        return text[: opened.start()].strip(), True
    return text, False


def check_answer(text: str, passages: list[Hit], question: str = "", lang: Lang | None = None) -> Checked:
    """Remove citations to passages that do not exist, flag unsupported figures and an answer not in
    ``lang`` (the question's language; None = not checked), build citations. A reasoning block
    (``<think>…</think>``) is dropped first: only what follows it is the answer."""
    warnings: list[str] = []
    failed: list[str] = []
    text, unclosed = strip_reasoning(text)
    if unclosed:
        warnings.append("the model's reasoning (<think>) used up the answer's token budget: no answer followed it")
    n_passages = len(passages)
    removed: list[int] = []

    def fix(match: re.Match[str]) -> str:
        numbers = [int(x) for x in re.findall(r"\d+", match.group(1))]
        valid = [n for n in numbers if 1 <= n <= n_passages]
        removed.extend(n for n in numbers if n not in valid)
        return "".join(f"[{n}]" for n in dict.fromkeys(valid))

    cleaned = _CITATION.sub(fix, text).strip()
    cleaned = re.sub(r"[ \t]+([.,;:])", r"\1", cleaned)
    for n in dict.fromkeys(removed):
        warnings.append(f"removed citation [{n}]: there {'is' if n_passages == 1 else 'are'} only {n_passages} passage(s)")
    if removed:
        failed.append(CHECK_MISSING_CITATION)
    if _is_abstention(cleaned):
        return Checked(cleaned, [], warnings, grounded=True, abstained=True, failed=failed)

    statements = _statements(cleaned)
    cited_order: list[int] = []
    for _, cited in statements:
        cited_order.extend(n for n in cited if n not in cited_order)
    if not cited_order:
        warnings.append("the answer cites no passage: it is not grounded in the reports")
        failed.append(CHECK_UNCITED)
    unsupported = _unsupported_figures(statements, passages, question, cited_order)
    for figure, cited in unsupported:
        where = ", ".join(f"[{n}]" for n in cited) if cited else "the passages"
        warnings.append(f"the figure {figure} is not in {where}")
    if unsupported:
        failed.append(CHECK_FIGURE)
    answered_in = answer_language(cleaned)
    if lang is not None and answered_in is not None and _family(answered_in) != _family(lang):
        warnings.append(f"the answer is in {language_name(answered_in)}, the question in {language_name(lang)}")
        failed.append(CHECK_LANGUAGE)
    citations = [_citation(n, passages[n - 1], [s for s, c in statements if n in c]) for n in cited_order]
    checked = Checked(cleaned, citations, warnings, abstained=False, failed=failed)
    checked.grounded = not checked.blocked
    return checked


def answer_language(text: str) -> Lang | None:
    """The language an answer is written in; None when it has too few words to tell."""
    plain = _CITATION.sub(" ", text)
    if sum(1 for w in words(plain) if not is_number(w)) < MIN_WORDS_FOR_LANGUAGE:
        return None
    return detect_language(plain)


def _family(lang: Lang) -> str:
    return "en" if lang == "en" else "vi"  # Vietnamese typed with or without diacritics is one language


def _is_abstention(text: str) -> bool:
    plain = collapse_ws(_CITATION.sub("", text)).lower()
    return plain.startswith((ABSTAIN_VI.lower()[:30], ABSTAIN_EN.lower()[:25], "không tìm thấy thông tin"))


def _statements(text: str) -> list[tuple[str, list[int]]]:
    """(sentence or line, the passages it cites). A citation right after a sentence belongs to it."""
    pieces = re.split(r"(?<=[.!?;])\s+(?=\S)|\n+", text)
    out: list[tuple[str, list[int]]] = []
    for piece in pieces:
        if not piece.strip():
            continue
        cited = [int(n) for m in _CITATION.finditer(piece) for n in re.findall(r"\d+", m.group(1))]
        if not cited and out and re.fullmatch(r"\s*(?:\[\d+\]\s*)+", piece):
            continue
        out.append((piece, list(dict.fromkeys(cited))))
    return out


def _unsupported_figures(
    statements: list[tuple[str, list[int]]], passages: list[Hit], question: str, all_cited: list[int]
) -> list[tuple[str, list[int]]]:
    question_figures = {_canonical(f) for f in _FIGURE.findall(question)}
    out: list[tuple[str, list[int]]] = []
    for statement, cited in statements:
        body = _ENUMERATOR.sub("", _CITATION.sub(" ", statement))
        sources = cited or all_cited or list(range(1, len(passages) + 1))  # uncited: any passage
        haystack = " ".join(passages[n - 1].chunk.text for n in sources if 1 <= n <= len(passages))
        present = {_canonical(f) for f in _FIGURE.findall(haystack)}
        present |= {f.rstrip("%") for f in present}
        for figure in _FIGURE.findall(body):
            key = _canonical(figure)
            if key in present or key.rstrip("%") in present or key in question_figures or re.fullmatch(r"\d", key):
                continue
            out.append((figure.strip(), sources))
    return out


def _canonical(figure: str) -> str:
    return figure.replace(" ", "")


def _citation(n: int, hit: Hit, sentences: list[str]) -> Citation:
    """The citation of passage n, quoting the unit of the passage closest to what cites it."""
    words = set(folded_words(" ".join(_CITATION.sub(" ", s) for s in sentences)))
    best = None
    best_overlap = -1.0
    for unit in hit.chunk.layout:
        tokens = set(folded_words(unit.text))
        if not tokens:
            continue
        overlap = len(tokens & words) / (len(tokens) ** 0.5)
        if overlap > best_overlap:
            best, best_overlap = unit, overlap
    if best is None:
        return citation_for(n, hit, hit.chunk.text, (0, len(hit.chunk.text)))
    return citation_for(n, hit, hit.chunk.text[best.start : best.end], best.span)
