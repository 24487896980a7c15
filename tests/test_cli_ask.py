"""``baocao ask`` through typer, over the ingested sample store; LLM provider construction."""
from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from assistant.llm import LangChainChatModel, build_chat_model
from baocao.settings import LLMSettings, Settings


@pytest.fixture()
def app(sample_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    import cli.ask
    from cli.main import app as application

    monkeypatch.setattr(cli.ask, "get_settings", lambda: sample_settings)
    return application


def test_ask_prints_the_answer_with_numbered_sources(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["ask", "Năm 2023 Hương Trà có những chỉ tiêu nào không đạt?"])
    assert result.exit_code == 0, result.output
    out = result.output
    # answered from the target records (Settings.targets_answers), each row cited with its section
    assert "Tổng thu ngân sách NN (Tỷ đồng): kế hoạch 215-220; kết quả 151 → không đạt" in out
    assert "Nguồn:" in out
    assert "[1] Báo cáo 3422/BC-UBND" in out and " — I. Kết quả thực hiện" in out
    assert "“1. Tốc độ tăng trưởng (GTSX) % 14,5-15,5 8,8 Không đạt”" in out
    assert "(extractive;" in out


def test_ask_json_and_filters(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["ask", "tổng thu ngân sách nhà nước", "--json", "--locality", "Hải Dương",
                                      "--year", "2023", "-k", "5"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mode"] == "extractive" and not data["abstained"]
    assert data["citations"] and all(c["source"] == "002_10b12c69719b1d7b.txt" for c in data["citations"])
    assert len(data["passages"]) <= 5 + 1
    assert "1.484 tỷ 750 triệu đồng" in data["text"]


def test_chat_models_are_built_from_settings_without_calling_them() -> None:
    openai = build_chat_model(LLMSettings(provider="openai", model="m", base_url="http://127.0.0.1:1/v1", timeout_s=7))
    assert isinstance(openai, LangChainChatModel) and openai.name == "openai:m"
    assert type(openai.model).__name__ == "ChatOpenAI" and openai.model.model_name == "m" and openai.model.max_retries == 0
    ollama = build_chat_model(LLMSettings(provider="ollama", model="qwen2.5:3b", base_url="http://127.0.0.1:2", timeout_s=9))
    assert isinstance(ollama, LangChainChatModel)
    assert type(ollama.model).__name__ == "ChatOllama" and ollama.model.model == "qwen2.5:3b"
    assert ollama.model.base_url == "http://127.0.0.1:2" and ollama.model.client_kwargs == {"timeout": 9}


def test_an_unknown_provider_lists_the_known_ones() -> None:
    from assistant.llm import LLMError

    with pytest.raises(LLMError, match="available: ollama, openai"):
        build_chat_model(LLMSettings(provider="olama"))
