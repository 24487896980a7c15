"""A small made-up commune report the UI and CLI tests ingest (one home for it)."""

COMMUNE_REPORT = """ỦY BAN NHÂN DÂN
XÃ AN PHÚ THỬ NGHIỆM
Số: 77/BC-UBND
An Phú, ngày 05 tháng 12 năm 2023

BÁO CÁO
Tình hình nuôi ong mật năm 2023

I. Kết quả
Năm 2023 toàn xã có 1.234 đàn ong mật, sản lượng mật ong đạt 56 tấn, tăng 12% so với năm 2022.

II. Nhiệm vụ năm 2024
Phát triển thêm 300 đàn ong mật và xây dựng nhãn hiệu mật ong An Phú.
"""
