"""Downloadable import templates (zh/en headers, one example row) for the three kinds."""

from __future__ import annotations

import pandas as pd

from core import export
from core.ingest.mapping import FIELDS

# Headers that the mapping recognises in each language (tested: a template maps to itself).
HEADERS: dict[str, dict[str, str]] = {
    "zh": {"customer_id": "客户编号", "name": "姓名", "phone": "手机号", "email": "邮箱", "region": "区域",
           "city": "城市", "channel": "渠道", "owner": "客户经理", "team": "团队", "signup_date": "注册日期",
           "order_id": "订单号", "order_date": "下单日期", "amount": "实付金额", "status": "订单状态",
           "product": "商品", "category": "品类", "survey_id": "问卷编号", "survey_date": "调查日期",
           "score": "评分", "scale": "量表", "kind": "类型", "comment": "评论"},
    "en": {f: f for fs in FIELDS.values() for f in fs},
}
EXAMPLES: dict[str, dict[str, str]] = {
    "customers": {"customer_id": "C0001", "name": "张伟", "phone": "13800138000", "email": "zhang@example.com",
                  "region": "华东", "city": "上海", "channel": "线上", "owner": "李娜", "team": "一组",
                  "signup_date": "2024-01-05"},
    "orders": {"order_id": "O0001", "customer_id": "C0001", "order_date": "2024-01-05", "amount": "1299.00",
               "status": "paid", "product": "会员年卡", "category": "服务", "channel": "线上"},
    "surveys": {"survey_id": "S0001", "customer_id": "C0001", "order_id": "O0001", "survey_date": "2024-01-20",
                "score": "9", "scale": "nps", "kind": "survey", "comment": "服务很好", "channel": "短信"},
}


def template_frame(kind: str, lang: str = "zh") -> pd.DataFrame:
    """One example row under the headers of ``lang`` (all text, so ids keep their zeros)."""
    names = HEADERS["zh" if lang == "zh" else "en"]
    return pd.DataFrame([{names[f]: EXAMPLES[kind][f] for f in FIELDS[kind]}], dtype="string")


def template_csv(kind: str, lang: str = "zh") -> bytes:
    return export.to_csv_bytes(template_frame(kind, lang))


def template_xlsx(kind: str, lang: str = "zh") -> bytes:
    return export.to_xlsx_bytes(template_frame(kind, lang), sheet_name=kind)
