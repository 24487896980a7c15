"""UI strings: Vietnamese by default, English on request (sidebar toggle)."""
from __future__ import annotations

import re

Lang = str  # "vi" | "en"

STRINGS: dict[str, dict[str, str]] = {
    # app / sidebar
    "app_title": {"vi": "Trợ lý báo cáo", "en": "Reports assistant"},
    "english": {"vi": "English", "en": "English"},
    "page": {"vi": "Trang", "en": "Page"},
    "page_chat": {"vi": "💬 Hỏi đáp", "en": "💬 Chat"},
    "page_search": {"vi": "🔎 Tra cứu", "en": "🔎 Search"},
    "page_documents": {"vi": "📄 Tài liệu", "en": "📄 Documents"},
    "page_eval": {"vi": "📊 Đánh giá", "en": "📊 Evaluation"},
    "page_targets": {"vi": "🎯 Chỉ tiêu", "en": "🎯 Targets"},
    "tg_empty": {"vi": "Chưa có chỉ tiêu nào: hãy nạp báo cáo.", "en": "No targets yet: ingest some reports."},
    "tg_locality": {"vi": "Địa phương", "en": "Locality"},
    "tg_year": {"vi": "Năm", "en": "Year"},
    "tg_indicator": {"vi": "Chỉ tiêu", "en": "Indicator"},
    "tg_unit": {"vi": "ĐVT", "en": "Unit"},
    "tg_plan": {"vi": "Kế hoạch", "en": "Plan"},
    "tg_result": {"vi": "Kết quả", "en": "Result"},
    "tg_pct": {"vi": "% kế hoạch", "en": "% of plan"},
    "tg_status": {"vi": "Đánh giá", "en": "Status"},
    "tg_stated": {"vi": "Báo cáo nêu", "en": "Stated"},
    "tg_kind": {"vi": "Loại số liệu", "en": "Kind"},
    "tg_source": {"vi": "Nguồn", "en": "Source"},
    "tg_met": {"vi": "Đạt", "en": "Met"},
    "tg_missed": {"vi": "Không đạt", "en": "Missed"},
    "tg_pending": {"vi": "Chưa có kết quả", "en": "No result yet"},
    "tg_none": {"vi": "—", "en": "—"},
    "tg_all_rows": {"vi": "Cả dòng con và số liệu trong văn bản", "en": "Include sub-rows and prose figures"},
    "tg_count": {"vi": "{n} chỉ tiêu từ {docs} báo cáo", "en": "{n} targets from {docs} reports"},
    "tg_chart": {"vi": "Kết quả so với kế hoạch (%)", "en": "Result against plan (%)"},
    "tg_csv": {"vi": "Tải CSV", "en": "Download CSV"},
    "tg_xlsx": {"vi": "Tải Excel", "en": "Download Excel"},
    "tg_kind_target": {"vi": "chỉ tiêu kế hoạch", "en": "plan target"},
    "tg_kind_estimate": {"vi": "ước thực hiện", "en": "estimate"},
    "tg_kind_actual": {"vi": "thực hiện", "en": "actual"},
    "tg_kind_settlement": {"vi": "quyết toán", "en": "settlement"},
    "tg_open": {"vi": "Đoạn nguồn", "en": "Source passage"},
    "tg_open_link": {"vi": "mở đoạn nguồn", "en": "open the source passage"},
    "tg_compare": {"vi": "So sánh một chỉ tiêu giữa các địa phương, các năm", "en": "Compare one indicator across places and years"},
    "tg_compare_pick": {"vi": "Chỉ tiêu để so sánh", "en": "Indicator to compare"},
    "tg_compare_value": {"vi": "Kết quả ({unit})", "en": "Result ({unit})"},
    "tg_compare_pct": {
        "vi": "Đơn vị khác nhau giữa các báo cáo: so sánh theo % kế hoạch",
        "en": "The reports use different units: compared as % of plan",
    },
    "filters": {"vi": "Bộ lọc", "en": "Filters"},
    "filters_help": {
        "vi": "Áp dụng cho hỏi đáp và tra cứu.",
        "en": "Applied to chat and search.",
    },
    "f_locality": {"vi": "Địa phương", "en": "Locality"},
    "f_year": {"vi": "Năm (kỳ báo cáo)", "en": "Year (reporting period)"},
    "f_doc_type": {"vi": "Loại văn bản", "en": "Document type"},
    "f_kind": {"vi": "Loại đoạn", "en": "Passage kind"},
    "f_doc": {"vi": "Chỉ trong các báo cáo", "en": "Only in these reports"},
    "all": {"vi": "Tất cả", "en": "All"},
    "kind_text": {"vi": "văn bản", "en": "text"},
    "kind_table": {"vi": "bảng", "en": "table"},
    "kind_footnote": {"vi": "chú thích", "en": "footnote"},
    "kind_closing": {"vi": "phần cuối", "en": "closing"},
    "config": {"vi": "Cấu hình", "en": "Configuration"},
    "cfg_embedder": {"vi": "Mô hình nhúng", "en": "Embedder"},
    "cfg_store": {"vi": "Kho dữ liệu", "en": "Store"},
    "cfg_llm": {"vi": "LLM", "en": "LLM"},
    "cfg_no_llm": {"vi": "không dùng LLM (trích xuất)", "en": "no LLM (extractive)"},
    "cfg_docs": {"vi": "Số tài liệu / đoạn", "en": "Documents / passages"},
    "loading_models": {
        "vi": "Đang tải mô hình và kho dữ liệu (lần đầu có thể mất một lúc)…",
        "en": "Loading the model and the store (the first time takes a while)…",
    },
    "store_error": {"vi": "Không mở được kho dữ liệu", "en": "Cannot open the store"},
    "sample_ingesting": {
        "vi": "Lần mở đầu tiên: đang nạp bộ báo cáo mẫu ({done}/{total}; khoảng một phút, lâu hơn khi máy bận)…",
        "en": "First open: ingesting the sample reports ({done}/{total}; about a minute, longer on a busy machine)…",
    },
    "sample_waiting": {
        "vi": "Một phiên khác đang nạp bộ báo cáo mẫu ({done}/{total}); trang sẽ mở khi nạp xong.",
        "en": "Another session is ingesting the sample reports ({done}/{total}); the page opens when it is done.",
    },
    "sample_failed": {"vi": "Không nạp được bộ báo cáo mẫu", "en": "Could not ingest the sample reports"},
    "sample_done": {"vi": "Đã nạp bộ báo cáo mẫu", "en": "Sample reports ingested"},
    "not_ready": {
        "vi": "Chức năng này chưa sẵn sàng",
        "en": "This feature is not available yet",
    },
    # chat
    "chat_intro": {
        "vi": "Đặt câu hỏi về các báo cáo (có dấu, không dấu hoặc tiếng Anh). Mỗi câu trả lời kèm nguồn trích dẫn.",
        "en": "Ask about the reports (Vietnamese with or without diacritics, or English). Every answer cites its sources.",
    },
    "chat_placeholder": {"vi": "Nhập câu hỏi…", "en": "Type a question…"},
    "thinking": {"vi": "Đang tìm trong các báo cáo…", "en": "Searching the reports…"},
    "sources": {"vi": "Nguồn", "en": "Sources"},
    "related_passages": {"vi": "Đoạn liên quan", "en": "Related passages"},
    "open_document": {"vi": "Mở toàn văn", "en": "Open the document"},
    "abstained": {
        "vi": "Không tìm thấy thông tin đủ tin cậy trong các báo cáo.",
        "en": "No reliable information was found in the reports.",
    },
    "not_grounded": {
        "vi": "Lưu ý: một phần câu trả lời chưa được kiểm chứng bằng nguồn.",
        "en": "Note: part of this answer could not be checked against the sources.",
    },
    "download_md": {"vi": "Tải câu trả lời (Markdown)", "en": "Download answer (Markdown)"},
    "copy_md": {"vi": "Sao chép (Markdown)", "en": "Copy (Markdown)"},
    "feedback_comment": {"vi": "Góp ý (không bắt buộc)", "en": "Comment (optional)"},
    "feedback_send": {"vi": "Gửi đánh giá", "en": "Send feedback"},
    "feedback_saved": {"vi": "Đã lưu đánh giá. Cảm ơn!", "en": "Feedback saved. Thank you!"},
    "clear_chat": {"vi": "Xoá hội thoại", "en": "Clear conversation"},
    "feedback_export": {"vi": "Xuất đánh giá thành bộ câu hỏi", "en": "Export feedback as a question set"},
    "feedback_only_up": {"vi": "Chỉ câu trả lời được 👍", "en": "Only 👍 answers"},
    "feedback_none": {"vi": "Chưa có đánh giá nào.", "en": "No feedback yet."},
    "feedback_count": {"vi": "Số đánh giá đã lưu", "en": "Feedback stored"},
    "answer_error": {"vi": "Lỗi khi trả lời", "en": "Error while answering"},
    "section": {"vi": "Mục", "en": "Section"},
    "date": {"vi": "Ngày", "en": "Date"},
    "period": {"vi": "Kỳ", "en": "Period"},
    "timings": {"vi": "Thời gian", "en": "Timings"},
    # search
    "search_query": {"vi": "Từ khoá hoặc câu hỏi", "en": "Keywords or question"},
    "search_button": {"vi": "Tìm", "en": "Search"},
    "search_results": {"vi": "kết quả", "en": "results"},
    "no_results": {"vi": "Không có kết quả.", "en": "No results."},
    "prev": {"vi": "◀ Trước", "en": "◀ Previous"},
    "next": {"vi": "Sau ▶", "en": "Next ▶"},
    "page_of": {"vi": "Trang {page}/{pages}", "en": "Page {page}/{pages}"},
    "score": {"vi": "điểm", "en": "score"},
    "found_by": {"vi": "tìm bởi", "en": "found by"},
    "kind": {"vi": "loại", "en": "kind"},
    "active_filters": {"vi": "Bộ lọc đang dùng", "en": "Active filters"},
    "search_error": {"vi": "Lỗi khi tìm", "en": "Search failed"},
    # answer blocks and cards
    "cite_open_source": {"vi": "Xem trong nguồn", "en": "Show in the sources"},
    "no_label": {"vi": "số", "en": "no."},
    "date_label": {"vi": "ngày", "en": "date"},
    "period_label": {"vi": "kỳ", "en": "period"},
    "draft_label": {"vi": "DỰ THẢO", "en": "DRAFT"},
    # search matches and details
    "search_matches": {"vi": "{n} đoạn chứa các từ tìm", "en": "{n} passages contain the search words"},
    "search_capped": {
        "vi": "chỉ xét {k} đoạn đầu, có thể còn nữa",
        "en": "only the first {k} passages were checked; there may be more",
    },
    "search_no_match": {
        "vi": "Không đoạn nào chứa đủ các từ tìm; dưới đây là {n} đoạn gần nghĩa nhất.",
        "en": "No passage contains all the search words; below are the {n} closest in meaning.",
    },
    "search_why": {"vi": "Vì sao có các kết quả này?", "en": "Why these results?"},
    "rank": {"vi": "hạng", "en": "rank"},
    "leg_dense": {"vi": "theo nghĩa", "en": "by meaning"},
    "leg_lexical": {"vi": "theo từ", "en": "by words"},
    "leg_rerank": {"vi": "xếp lại", "en": "re-ranked"},
    "leg_dense_restored": {"vi": "theo nghĩa (câu có dấu)", "en": "by meaning (accents restored)"},
    "leg_dense_translated": {"vi": "theo nghĩa (bản dịch)", "en": "by meaning (translation)"},
    "leg_rank": {"vi": "{leg} hạng {rank}", "en": "{leg} #{rank}"},
    # documents
    "documents": {"vi": "Các báo cáo đã nạp", "en": "Ingested reports"},
    "no_documents": {"vi": "Chưa có tài liệu nào.", "en": "No documents yet."},
    "upload": {"vi": "Tải lên báo cáo", "en": "Upload reports"},
    "upload_help": {
        "vi": "Định dạng: {types}. Tối đa {mb:g} MB mỗi tệp.",
        "en": "Formats: {types}. At most {mb:g} MB per file.",
    },
    "upload_button": {"vi": "Nạp các tệp đã chọn", "en": "Ingest the selected files"},
    "uploading": {"vi": "Đang nạp", "en": "Ingesting"},
    "upload_done": {"vi": "Xong", "en": "Done"},
    "status_new": {"vi": "mới", "en": "new"},
    "status_updated": {"vi": "cập nhật", "en": "updated"},
    "status_unchanged": {"vi": "không đổi", "en": "unchanged"},
    "status_failed": {"vi": "lỗi", "en": "failed"},
    "status_removed": {"vi": "đã xoá", "en": "removed"},
    "chunks": {"vi": "đoạn", "en": "passages"},
    # the ingest queue (baocao ingest --queue, baocao worker)
    "queue": {"vi": "Hàng đợi nạp tài liệu", "en": "Ingest queue"},
    "queue_counts": {
        "vi": "{queued} đang chờ · {running} đang chạy · {done} xong · {failed} lỗi",
        "en": "{queued} queued · {running} running · {done} done · {failed} failed",
    },
    "job_queued": {"vi": "đang chờ", "en": "queued"},
    "job_running": {"vi": "đang chạy", "en": "running"},
    "job_done": {"vi": "xong", "en": "done"},
    "job_failed": {"vi": "lỗi", "en": "failed"},
    "col_job_state": {"vi": "Trạng thái", "en": "State"},
    "col_job_doc": {"vi": "Tài liệu", "en": "Document"},
    "col_job_detail": {"vi": "Kết quả / lỗi", "en": "Result / error"},
    "col_job_worker": {"vi": "Tiến trình xử lý", "en": "Worker"},
    "col_job_attempts": {"vi": "Số lần chạy", "en": "Attempts"},
    "manage": {"vi": "Quản lý tài liệu", "en": "Manage a document"},
    "choose_doc": {"vi": "Chọn tài liệu", "en": "Choose a document"},
    "edit_meta": {"vi": "Sửa thông tin tài liệu", "en": "Edit metadata"},
    "save": {"vi": "Lưu", "en": "Save"},
    "saved": {"vi": "Đã lưu.", "en": "Saved."},
    "no_change": {"vi": "Không có thay đổi.", "en": "Nothing changed."},
    "reindex": {"vi": "Nạp lại", "en": "Re-index"},
    "delete": {"vi": "Xoá khỏi kho", "en": "Remove from the store"},
    "confirm_delete": {"vi": "Tôi chắc chắn muốn xoá", "en": "I am sure"},
    "deleted": {"vi": "Đã xoá", "en": "Removed"},
    "file_missing": {"vi": "Không còn tệp gốc", "en": "The original file is gone"},
    "view_doc": {"vi": "Xem toàn văn", "en": "View the full text"},
    "back": {"vi": "← Quay lại", "en": "← Back"},
    "doc_not_found": {"vi": "Không tìm thấy tài liệu", "en": "Document not found"},
    "goto_passage": {"vi": "Đến đoạn trích", "en": "Go to the passage"},
    "highlighted_passage": {"vi": "Đoạn được trích", "en": "Cited passage"},
    # evaluation
    "eval_title": {"vi": "Đánh giá bằng bộ câu hỏi", "en": "Evaluate with a question set"},
    "eval_source": {"vi": "Bộ câu hỏi", "en": "Question set"},
    "eval_path": {"vi": "Đường dẫn tệp JSONL", "en": "Path to a JSONL file"},
    "eval_upload": {"vi": "hoặc tải lên tệp JSONL", "en": "or upload a JSONL file"},
    "eval_with_answers": {"vi": "Chấm cả câu trả lời (chậm hơn)", "en": "Score answers too (slower)"},
    "eval_run": {"vi": "Chạy đánh giá", "en": "Run the evaluation"},
    "eval_running": {"vi": "Đang chạy", "en": "Running"},
    "eval_invalid": {"vi": "Bộ câu hỏi không hợp lệ", "en": "Invalid question set"},
    "eval_missing": {"vi": "Không tìm thấy tệp", "en": "File not found"},
    "eval_overall": {"vi": "Tổng thể", "en": "Overall"},
    "eval_by_lang": {"vi": "Theo ngôn ngữ", "en": "By language"},
    "eval_by_type": {"vi": "Theo loại câu hỏi", "en": "By question type"},
    "eval_plots": {"vi": "Biểu đồ", "en": "Plots"},
    "eval_failures": {"vi": "Câu hỏi chưa đạt", "en": "Failing questions"},
    "eval_compare": {"vi": "So sánh với lần chạy trước", "en": "Compare with an earlier run"},
    "eval_runs": {"vi": "Các lần chạy", "en": "Runs"},
    "eval_choose_run": {"vi": "Xem lần chạy", "en": "Show run"},
    "eval_baseline": {"vi": "Lần chạy gốc (A)", "en": "Baseline run (A)"},
    "eval_no_runs": {"vi": "Chưa có lần chạy nào.", "en": "No runs yet."},
    "eval_report": {"vi": "Tải báo cáo (Markdown)", "en": "Download report (Markdown)"},
    "eval_none_failing": {"vi": "Không có câu nào chưa đạt.", "en": "No failing questions."},
    "eval_corpus": {"vi": "Thư mục báo cáo để đánh giá (không bắt buộc)", "en": "Reports folder to evaluate on (optional)"},
    "eval_corpus_help": {
        "vi": "Như `baocao eval --corpus`: thư mục được nạp vào một kho riêng, kho đang dùng không bị động tới. "
              "Để trống: chạy trên kho đang dùng (kể cả các tệp đã tải lên).",
        "en": "As `baocao eval --corpus`: the folder is ingested into a store of its own; the live store is untouched. "
              "Empty: run on the live store (uploads included).",
    },
    "eval_corpus_missing": {"vi": "Không tìm thấy thư mục", "en": "Folder not found"},
    "eval_corpus_ingest": {"vi": "Đang nạp thư mục báo cáo", "en": "Ingesting the reports folder"},
    "eval_store": {"vi": "Kho được đánh giá", "en": "Store evaluated"},
    "eval_store_live": {"vi": "kho đang dùng, gồm cả tệp tải lên", "en": "the live store, uploads included"},
    "eval_store_corpus": {"vi": "kho riêng của thư mục {folder}", "en": "a store of its own for the folder {folder}"},
    "eval_compare_runs": {"vi": "So sánh `{a}` (A) → `{b}` (B)", "en": "Comparison `{a}` (A) → `{b}` (B)"},
    "eval_delta": {"vi": "Chênh lệch (B − A)", "en": "Δ (B − A)"},
    "eval_better": {"vi": "Tốt hơn ở B", "en": "Better in B"},
    "eval_worse": {"vi": "Kém hơn ở B", "en": "Worse in B"},
    "eval_no_changes": {"vi": "Không có câu nào.", "en": "None."},
    "eval_only_in": {"vi": "Câu hỏi chỉ có ở A: {a}; chỉ có ở B: {b}", "en": "Questions only in A: {a}; only in B: {b}"},
    "eval_col_what": {"vi": "Thay đổi", "en": "What changed"},
    "eval_aspect_rank": {"vi": "hạng đoạn đúng (trong 5 đầu)", "en": "rank of the right passage (top 5)"},
    "eval_aspect_facts": {"vi": "tỷ lệ ý đúng (fact_recall)", "en": "share of facts found (fact_recall)"},
    "eval_aspect_abstention": {"vi": "từ chối trả lời", "en": "abstention"},
    "eval_v_miss": {"vi": "không có", "en": "miss"},
    "eval_v_right": {"vi": "đúng", "en": "right"},
    "eval_v_wrong": {"vi": "sai", "en": "wrong"},
    "eval_metric": {"vi": "Chỉ số", "en": "Metric"},
    "eval_col_question": {"vi": "Câu hỏi", "en": "Question"},
    "eval_col_lang": {"vi": "Ngôn ngữ", "en": "Language"},
    "eval_col_type": {"vi": "Loại", "en": "Type"},
    "eval_col_problem": {"vi": "Vấn đề", "en": "Problem"},
    "eval_col_answer": {"vi": "Câu trả lời", "en": "Answer"},
    "eval_p_miss": {"vi": "không có đoạn đúng trong 5 đầu (hạng {rank})", "en": "no right passage in the top 5 (rank {rank})"},
    "eval_p_facts": {"vi": "thiếu ý: {facts}", "en": "facts missing: {facts}"},
    "eval_p_abstained": {"vi": "từ chối trả lời", "en": "abstained"},
    "eval_p_should_abstain": {"vi": "lẽ ra phải từ chối", "en": "should have abstained"},
    "eval_p_error": {"vi": "lỗi: {error}", "en": "error: {error}"},
    # documents table and metadata form
    "col_file": {"vi": "Tệp", "en": "File"},
    "col_title": {"vi": "Tiêu đề", "en": "Title"},
    "col_locality": {"vi": "Địa phương", "en": "Locality"},
    "col_type": {"vi": "Loại", "en": "Type"},
    "col_number": {"vi": "Số", "en": "Number"},
    "col_date": {"vi": "Ngày", "en": "Date"},
    "col_period": {"vi": "Kỳ", "en": "Period"},
    "col_draft": {"vi": "Dự thảo", "en": "Draft"},
    "col_passages": {"vi": "Số đoạn", "en": "Passages"},
    "meta_title": {"vi": "Tiêu đề", "en": "Title"},
    "meta_short_title": {"vi": "Tiêu đề ngắn", "en": "Short title"},
    "meta_issuer": {"vi": "Cơ quan ban hành", "en": "Issued by"},
    "meta_locality": {"vi": "Địa phương", "en": "Locality"},
    "meta_locality_level": {"vi": "Cấp hành chính (tỉnh, huyện, xã…)", "en": "Administrative level (province, district, commune…)"},
    "meta_parent_locality": {"vi": "Thuộc địa phương", "en": "Part of"},
    "meta_doc_number": {"vi": "Số văn bản", "en": "Document number"},
    "meta_doc_type": {"vi": "Loại văn bản", "en": "Document type"},
    "meta_date_issued": {"vi": "Ngày ban hành (YYYY-MM-DD)", "en": "Date issued (YYYY-MM-DD)"},
    "meta_issued_year": {"vi": "Năm ban hành", "en": "Year issued"},
    "meta_issued_month": {"vi": "Tháng ban hành", "en": "Month issued"},
    "meta_issued_day": {"vi": "Ngày (trong tháng) ban hành", "en": "Day issued"},
    "meta_period": {"vi": "Kỳ báo cáo", "en": "Reporting period"},
    "meta_period_year": {"vi": "Năm của kỳ báo cáo", "en": "Year of the period"},
    "meta_period_month": {"vi": "Tháng của kỳ báo cáo", "en": "Month of the period"},
    "meta_plan_year": {"vi": "Năm kế hoạch", "en": "Plan year"},
    "meta_is_draft": {"vi": "Là dự thảo", "en": "Is a draft"},
    "saved_fields": {"vi": "Đã sửa: {fields}", "en": "Changed: {fields}"},
    "upload_pick": {"vi": "Chọn tệp", "en": "Choose files"},
    "run_stop": {"vi": "Dừng", "en": "Stop"},  # Streamlit's own "Stop" while a page runs
    "upload_drop": {"vi": "Kéo thả tệp vào đây", "en": "Drag and drop files here"},
    "reindex_path": {"vi": "Tệp gốc", "en": "Original file"},
    # why an upload or an ingest failed (see REASONS)
    "r_type": {"vi": "loại tệp không được hỗ trợ ({suffix}); chỉ nhận {allowed}", "en": "unsupported file type ({suffix}); allowed: {allowed}"},
    "r_type_short": {"vi": "loại tệp không được hỗ trợ ({suffix})", "en": "unsupported file type ({suffix})"},
    "r_empty": {"vi": "tệp rỗng", "en": "the file is empty"},
    "r_too_big": {"vi": "tệp {size} MB, vượt giới hạn {limit} MB", "en": "the file is {size} MB, over the {limit} MB limit"},
    "r_binary": {"vi": "không phải tệp văn bản (nội dung nhị phân)", "en": "not a text file (binary content)"},
    "r_pdf": {"vi": "không đọc được tệp PDF (tệp hỏng hoặc không phải PDF)", "en": "unreadable PDF (damaged, or not a PDF)"},
    "r_pdf_encrypted": {"vi": "tệp PDF có mật khẩu/mã hoá", "en": "the PDF is encrypted"},
    "r_pdf_scanned": {"vi": "PDF không có lớp chữ (bản quét?) — cần nhận dạng chữ (OCR) trước", "en": "the PDF has no text layer (scanned?) — run OCR first"},
    "r_docx": {"vi": "không đọc được tệp Word (.docx hỏng hoặc không phải Word)", "en": "unreadable Word file (damaged, or not a .docx)"},
    "r_no_text": {"vi": "không tìm thấy chữ trong tài liệu", "en": "no text found in the document"},
    "r_duplicate": {"vi": "trùng nội dung với {twin}; không nạp hai lần", "en": "same content as {twin}; not ingested twice"},
    "r_permission": {"vi": "không có quyền đọc tệp", "en": "permission denied"},
    "r_other": {"vi": "không nạp được tệp ({detail})", "en": "could not ingest the file ({detail})"},
    # LLM-mode warnings under an answer (see WARNINGS; the assistant writes them in English, for logs)
    "w_removed_citation": {
        "vi": "đã bỏ trích dẫn [{n}]: chỉ có {total} đoạn nguồn",
        "en": "removed citation [{n}]: there are only {total} passages",
    },
    "w_uncited": {
        "vi": "câu trả lời của mô hình không trích dẫn đoạn nào: không dựa trên các báo cáo",
        "en": "the model's answer cites no passage: it is not grounded in the reports",
    },
    "w_figure": {"vi": "số liệu {figure} không có trong {where}", "en": "the figure {figure} is not in {where}"},
    "w_the_passages": {"vi": "các đoạn nguồn", "en": "the passages"},
    "w_language": {
        "vi": "mô hình trả lời bằng {answer}, câu hỏi bằng {question}",
        "en": "the model answered in {answer}, the question is in {question}",
    },
    "w_lang_en": {"vi": "tiếng Anh", "en": "English"},
    "w_lang_vi": {"vi": "tiếng Việt", "en": "Vietnamese"},
    "w_checks_failed": {
        "vi": "câu trả lời của mô hình không qua kiểm tra ({checks}); đã trả lời bằng trích dẫn trực tiếp",
        "en": "the model's answer failed the checks ({checks}); answered with direct quotes instead",
    },
    "check_missing-citation": {"vi": "trích dẫn đoạn không tồn tại", "en": "cites a passage that does not exist"},
    "check_uncited": {"vi": "không trích dẫn", "en": "no citation"},
    "check_figure": {"vi": "số liệu không có trong nguồn", "en": "a figure not in the sources"},
    "check_language": {"vi": "sai ngôn ngữ", "en": "wrong language"},
    "w_llm_unavailable": {
        "vi": "không dùng được mô hình ngôn ngữ ({reason}); đã trả lời bằng trích dẫn trực tiếp",
        "en": "the language model is unavailable ({reason}); answered with direct quotes instead",
    },
    "w_condense_unused": {
        "vi": "không dùng câu hỏi viết lại của mô hình ({problem}); đã dùng quy tắc",
        "en": "the model's rewritten question was not used ({problem}); the rule was used",
    },
    "w_condense_failed": {
        "vi": "không viết lại được câu hỏi nối tiếp bằng mô hình ({reason}); đã dùng quy tắc",
        "en": "could not rewrite the follow-up with the model ({reason}); the rule was used",
    },
    "w_cp_empty": {"vi": "câu trống", "en": "empty"},
    "w_cp_long": {"vi": "dài hơn một câu hỏi", "en": "longer than a question"},
    "w_cp_dropped": {"vi": "bỏ mất {what}", "en": "it dropped {what}"},
    "llm_unreachable": {"vi": "không kết nối được tới {where}", "en": "cannot reach {where}"},
    "llm_timeout": {"vi": "{where} không trả lời trong {seconds} giây", "en": "{where} did not answer within {seconds} s"},
    "llm_failed": {"vi": "{where} bị lỗi: {detail}", "en": "{where} failed: {detail}"},
    "llm_no_provider": {"vi": "chưa cấu hình mô hình ngôn ngữ ({detail})", "en": "no language model configured ({detail})"},
}

# Reasons the pipeline and the readers give (English, for logs), as users are told them.
REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"unsupported file type '?(?P<suffix>[^';]*)'?(?:; allowed: (?P<allowed>.*))?"), "r_type_short"),
    (re.compile(r"(?:the file is empty|empty file)"), "r_empty"),
    (re.compile(r"(?:the )?file is (?P<size>[\d.]+) MB, over the (?P<limit>[\d.]+) MB limit"), "r_too_big"),
    (re.compile(r"binary file"), "r_binary"),
    (re.compile(r"PDF is encrypted"), "r_pdf_encrypted"),
    (re.compile(r"PDF has no text layer"), "r_pdf_scanned"),
    (re.compile(r"unreadable PDF"), "r_pdf"),
    (re.compile(r"unreadable \.docx"), "r_docx"),
    (re.compile(r"no text (?:found|content)"), "r_no_text"),
    (re.compile(r"duplicate of (?P<twin>\S+)"), "r_duplicate"),
    (re.compile(r"permission denied"), "r_permission"),
]


def reason_text(reason: str, lang: Lang = "vi") -> str:
    """Why a file failed, in ``lang`` (the pipeline's reasons are English, for its logs)."""
    for pattern, key in REASONS:
        match = pattern.search(reason)
        if match:
            return t(key, lang, **{k: v for k, v in match.groupdict().items() if v is not None})
    return t("r_other", lang, detail=reason) if reason else ""


# The warnings of LLM mode (assistant.llm.check_answer, assistant.service), as users are told them.
WARNINGS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^removed citation \[(?P<n>\d+)\]: there (?:is|are) only (?P<total>\d+) passage"), "w_removed_citation"),
    (re.compile(r"^the answer cites no passage"), "w_uncited"),
    (re.compile(r"^the figure (?P<figure>.+) is not in (?P<where>.+)$"), "w_figure"),
    (re.compile(r"^the answer is in (?P<answer>.+), the question in (?P<question>.+)$"), "w_language"),
    (re.compile(r"^LLM answer failed the checks \((?P<checks>[^)]*)\)"), "w_checks_failed"),
    (re.compile(r"^LLM unavailable: (?P<reason>.+); answered without it"), "w_llm_unavailable"),
    (re.compile(r"^the LLM's standalone question was not used \((?P<problem>.+)\); used the rule$"), "w_condense_unused"),
    (re.compile(r"^could not condense the follow-up with the LLM \((?P<reason>.+)\); used the rule$"), "w_condense_failed"),
]
# Why the LLM could not answer (assistant.llm._describe), the {reason} of the warnings above.
LLM_REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^cannot reach the LLM at (?P<where>\S+)"), "llm_unreachable"),
    (re.compile(r"^the LLM at (?P<where>\S+) did not answer within (?P<seconds>[\d.]+)s"), "llm_timeout"),
    (re.compile(r"^the LLM at (?P<where>\S+) failed \((?P<detail>.*)\)$"), "llm_failed"),
    (re.compile(r"^no LLM provider configured \((?P<detail>.*)\)$"), "llm_no_provider"),
]


def _matched(table: list[tuple[re.Pattern[str], str]], text: str) -> tuple[str, dict[str, str]] | None:
    for pattern, key in table:
        match = pattern.search(text)
        if match:
            return key, {k: v for k, v in match.groupdict().items() if v is not None}
    return None


def llm_reason(reason: str, lang: Lang = "vi") -> str:
    """Why the LLM could not answer (the assistant's English reason), in ``lang``."""
    found = _matched(LLM_REASONS, reason)
    if found is None:
        return reason
    key, fields = found
    if "where" in fields:
        fields["where"] = "LLM " + fields["where"]
    return t(key, lang, **fields)


def _language(name: str, lang: Lang) -> str:
    return t("w_lang_en" if name.lower().startswith("english") else "w_lang_vi", lang)


def warning_text(warning: str, lang: Lang = "vi") -> str:
    """An LLM-mode warning of an answer, in ``lang`` (the assistant writes them in English, for its logs);
    one no table knows is shown as it is."""
    found = _matched(WARNINGS, warning)
    if found is None:
        return warning
    key, fields = found
    if key == "w_figure" and fields["where"] == "the passages":
        fields["where"] = t("w_the_passages", lang)
    elif key == "w_language":
        fields = {k: _language(v, lang) for k, v in fields.items()}
    elif key == "w_checks_failed":
        names = [c.strip() for c in fields["checks"].split(",")]
        fields["checks"] = ", ".join(t(f"check_{c}", lang) if f"check_{c}" in STRINGS else c for c in names)
    elif key in ("w_llm_unavailable", "w_condense_failed"):
        fields["reason"] = llm_reason(fields["reason"], lang)
    elif key == "w_condense_unused":
        problem = fields["problem"]
        dropped = re.match(r"it dropped (?P<what>.+)", problem)
        known = {"empty": "w_cp_empty", "longer than a question": "w_cp_long"}
        if dropped:
            fields["problem"] = t("w_cp_dropped", lang, what=dropped.group("what"))
        elif problem in known:
            fields["problem"] = t(known[problem], lang)
    return t(key, lang, **fields)


def t(key: str, lang: Lang = "vi", **fmt: object) -> str:
    """The UI string ``key`` in ``lang`` (falls back to Vietnamese, then to the key itself)."""
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["vi"]
    return text.format(**fmt) if fmt else text
