"""Which file column feeds which Kehu field: zh/en header synonyms, required fields, remembered layouts."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata

import duckdb

from core import db
from core.errors import ImportRefused
from core.i18n import t

KINDS = ("customers", "orders", "surveys")

# Target fields per kind, in the order a template shows them. ``complaint`` is a flag/type column
# feeding surveys.kind; ``scale`` may come from a column or be detected from the scores.
FIELDS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "name", "phone", "email", "region", "city", "channel", "owner", "team",
                  "signup_date"),
    "orders": ("order_id", "customer_id", "order_date", "amount", "status", "product", "category", "channel"),
    "surveys": ("survey_id", "customer_id", "order_id", "survey_date", "score", "scale", "kind", "comment",
                "channel"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "orders": ("order_id", "customer_id", "order_date", "amount"),
    "surveys": ("customer_id", "survey_date"),  # plus score unless every row is a complaint
}
KEYS = {"customers": "customer_id", "orders": "order_id", "surveys": "survey_id"}

# Synonyms are compared after ``norm_header`` (NFKC, lower case, no spaces/punctuation).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customerid", "custid", "customerno", "customernumber", "customercode", "clientid",
                    "memberid", "memberno", "userid", "buyerid", "客户编号", "客户id", "客户号", "客户代码",
                    "客户编码", "会员号", "会员编号", "会员id", "会员卡号", "用户id", "用户编号", "买家id",
                    "顾客编号", "顾客id"),
    "order_id": ("orderid", "orderno", "ordernumber", "order", "订单号", "订单编号", "订单id", "单号",
                 "订单", "交易号", "交易单号"),
    "survey_id": ("surveyid", "responseid", "answerid", "feedbackid", "问卷编号", "问卷id", "反馈编号",
                  "答卷编号", "回复编号"),
    "name": ("name", "customername", "clientname", "fullname", "姓名", "客户名称", "客户姓名", "名称",
             "客户名", "会员姓名", "公司名称"),
    "phone": ("phone", "mobile", "tel", "telephone", "phonenumber", "cellphone", "手机", "手机号", "手机号码",
              "电话", "联系电话", "电话号码"),
    "email": ("email", "emailaddress", "mail", "邮箱", "电子邮箱", "电子邮件"),
    "region": ("region", "area", "province", "state", "区域", "地区", "大区", "省份", "省"),
    "city": ("city", "城市", "市"),
    "channel": ("channel", "source", "saleschannel", "渠道", "来源", "销售渠道", "来源渠道", "平台"),
    "owner": ("owner", "accountmanager", "salesrep", "manager", "rep", "客户经理", "负责人", "销售", "销售员",
              "业务员", "跟进人", "归属销售"),
    "team": ("team", "group", "团队", "小组", "部门"),
    "signup_date": ("signupdate", "registerdate", "registrationdate", "joindate", "createdat", "since",
                    "注册日期", "注册时间", "开户日期", "入会日期", "创建时间", "首次登记日期"),
    "order_date": ("orderdate", "date", "orderdatetime", "ordertime", "purchasedate", "paiddate",
                   "下单时间", "下单日期", "订单日期", "订单时间", "日期", "交易日期", "交易时间", "付款时间",
                   "支付时间", "成交日期"),
    "amount": ("amount", "total", "totalamount", "ordertotal", "paid", "paidamount", "revenue", "sales",
               "value", "price", "实付金额", "金额", "订单金额", "实付", "支付金额", "成交金额", "销售额",
               "总金额", "应付金额", "实收金额", "付款金额"),
    "status": ("status", "orderstatus", "state", "订单状态", "状态", "交易状态"),
    "product": ("product", "productname", "item", "sku", "商品", "商品名称", "产品", "产品名称", "品名"),
    "category": ("category", "productcategory", "类目", "品类", "商品类别", "类别", "分类"),
    "survey_date": ("surveydate", "responsedate", "date", "answereddate", "feedbackdate", "submittedat",
                    "调查日期", "问卷日期", "日期", "反馈日期", "提交时间", "评价时间", "评价日期", "回访日期",
                    "填写时间", "调研日期"),
    "score": ("score", "rating", "nps", "npsscore", "csat", "csatscore", "ces", "satisfaction", "likelihood",
              "评分", "分数", "得分", "满意度", "满意度评分", "推荐值", "推荐意愿", "推荐分", "打分",
              "净推荐值", "nps评分", "nps得分", "nps分数", "csat评分", "满意度得分", "满意度分数", "ces评分",
              "推荐评分", "评分nps"),
    "scale": ("scale", "scoretype", "量表", "评分类型", "量表类型"),
    "kind": ("kind", "type", "feedbacktype", "complaint", "iscomplaint", "complaintflag", "类型",
             "反馈类型", "是否投诉", "投诉", "投诉标记"),
    "comment": ("comment", "comments", "feedback", "remark", "remarks", "note", "verbatim", "评论",
                "意见", "留言", "备注", "反馈内容", "评价内容", "建议"),
}


def norm_header(text: str) -> str:
    """Compare headers without case, width, spaces or punctuation: 'Customer ID' == 'customer_id'."""
    s = unicodedata.normalize("NFKC", str(text)).lower().strip()
    s = re.sub(r"\(.*?\)|（.*?）|\[.*?\]|【.*?】", "", s)  # units such as 金额(元)
    return re.sub(r"[\s_\-./:：#·]+", "", s)


_LOOKUP: dict[str, dict[str, str]] = {
    kind: {syn: f for f in fields for syn in SYNONYMS.get(f, ())} for kind, fields in FIELDS.items()
}


def field_for(header: str, kind: str) -> str | None:
    """The Kehu field a header names in a file of ``kind``, if it is a known synonym."""
    return _LOOKUP[kind].get(norm_header(header))


def recognised_count(cells: list[str]) -> int:
    """How many cells are known headers of any kind (used to find the header row)."""
    return sum(1 for c in cells if c and any(norm_header(c) in lk for lk in _LOOKUP.values()))


def suggest(headers: list[str], kind: str) -> list[str | None]:
    """Field per column position (None = keep as extra); the first column naming a field wins."""
    taken: set[str] = set()
    out: list[str | None] = []
    for h in headers:
        f = field_for(h, kind)
        if f in taken:
            f = None
        if f:
            taken.add(f)
        out.append(f)
    return out


def layout_key(headers: list[str], kind: str) -> str:
    """Settings key remembering the mapping of this header layout (same export, same mapping)."""
    digest = hashlib.sha256(json.dumps([kind, [norm_header(h) for h in headers]]).encode()).hexdigest()
    return f"mapping:{digest[:20]}"


def recall(con: duckdb.DuckDBPyConnection, headers: list[str], kind: str) -> list[str | None] | None:
    """A mapping confirmed earlier for this layout, if any (and still valid for the kind)."""
    row = con.execute(
        "SELECT value FROM settings WHERE key = ? ORDER BY updated_at DESC LIMIT 1", [layout_key(headers, kind)]
    ).fetchone()
    if not row:
        return None
    saved = json.loads(row[0])
    if not isinstance(saved, list) or len(saved) != len(headers):
        return None
    return [f if f in FIELDS[kind] else None for f in saved]


def remember(con: duckdb.DuckDBPyConnection, headers: list[str], kind: str, mapping: list[str | None],
             username: str | None) -> None:
    """Store the mapping for this layout; call inside the import transaction."""
    key = layout_key(headers, kind)
    con.execute("DELETE FROM settings WHERE key = ?", [key])
    con.execute("INSERT INTO settings (key, value, updated_by) VALUES (?, ?, ?)",
                [key, json.dumps(mapping), username])


def initial_mapping(con: duckdb.DuckDBPyConnection | None, headers: list[str], kind: str) -> list[str | None]:
    """Remembered mapping for this layout, else the synonym suggestion."""
    if con is not None:
        saved = recall(con, headers, kind)
        if saved is not None:
            return saved
    return suggest(headers, kind)


def best_kind(headers: list[str]) -> str | None:
    """The kind whose required fields the headers cover (to say 'this looks like an orders file')."""
    fits = [k for k in KINDS if all(f in suggest(headers, k) for f in REQUIRED[k])]
    fits.sort(key=lambda k: -len(REQUIRED[k]))
    return fits[0] if fits else None


def validate(headers: list[str], kind: str, mapping: list[str | None], file: str, lang: str) -> None:
    """Refuse a mapping with a required field unmapped or a field mapped twice, naming them."""
    if kind not in KINDS:
        raise ImportRefused(t("data.err.kind", lang, kind=kind))
    if len(mapping) != len(headers):
        raise ImportRefused(t("data.err.mapping_width", lang, file=file))
    used = [f for f in mapping if f]
    twice = sorted({f for f in used if used.count(f) > 1})
    if twice:
        raise ImportRefused(t("data.err.mapped_twice", lang, file=file, fields=", ".join(twice)))
    unknown = sorted({f for f in used if f not in FIELDS[kind]})
    if unknown:
        raise ImportRefused(t("data.err.unknown_field", lang, file=file, fields=", ".join(unknown)))
    required = list(REQUIRED[kind])
    if kind == "surveys" and "kind" not in used:
        required.append("score")
    missing = [f for f in required if f not in used]
    if missing:
        other = best_kind(headers)
        names = ", ".join(t(f"data.field.{f}", lang) for f in missing)
        if other and other != kind:
            raise ImportRefused(t("data.err.wrong_kind", lang, file=file, fields=names,
                                  other=t(f"data.kind.{other}", lang), kind=t(f"data.kind.{kind}", lang)))
        raise ImportRefused(t("data.err.missing_required", lang, file=file, fields=names))


def db_has_table(con: duckdb.DuckDBPyConnection, kind: str) -> bool:
    """Guard for callers passing a kind straight from user input."""
    return kind in db.DATA_TABLES
