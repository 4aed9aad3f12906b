"""A corpus of bad and awkward import files (zh and en), each with the outcome Kehu must produce.

``CASES`` is a list of ``Case``; ``case.write(dir)`` creates the file. Expected rows are worked out
by hand from the file text next to them.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

OrderRow = tuple[str, str, str, str, str]  # order_id, customer_id, order_date, amount, status


@dataclass
class Case:
    """One file, how it is imported, and what must come out."""

    id: str
    kind: str
    filename: str
    content: bytes | Callable[[Path], None]
    mode: str = "append"
    options: dict = field(default_factory=dict)  # encoding, sheet, dayfirst, scale
    setup: list[tuple[str, str]] = field(default_factory=list)  # (kind, utf-8 csv) imported before
    rows: list[tuple] | None = None  # the whole table afterwards (see ROW_SQL), sorted
    rejects: list[tuple] | None = None  # (row_number, reason, column) of this import, sorted
    warnings: dict[str, int] | None = None
    error: list[str] | None = None  # fragments the refusal message must contain

    def write(self, folder: Path) -> Path:
        path = folder / self.filename
        if callable(self.content):
            self.content(path)
        else:
            path.write_bytes(self.content)
        return path


ROW_SQL = {
    "orders": "SELECT order_id, customer_id, CAST(order_date AS VARCHAR), CAST(amount AS VARCHAR), status "
              "FROM orders ORDER BY ALL",
    "customers": "SELECT customer_id, name, phone, CAST(signup_date AS VARCHAR) FROM customers ORDER BY ALL",
    "surveys": "SELECT customer_id, CAST(survey_date AS VARCHAR), scale, score, kind FROM surveys ORDER BY ALL",
}


def u8(text: str) -> bytes:
    return text.encode("utf-8")


def xlsx(sheets: dict[str, list[list[object]]]) -> Callable[[Path], None]:
    """An Excel file written by xlsxwriter; date objects get a date format like real exports."""

    def make(path: Path) -> None:
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(path))
        datefmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        for name, rows in sheets.items():
            ws = wb.add_worksheet(name)
            for r, row in enumerate(rows):
                for c, v in enumerate(row):
                    if isinstance(v, dt.date):
                        ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), datefmt)
                    elif v is not None:
                        ws.write(r, c, v)
        wb.close()

    return make


def zip_bomb(path: Path) -> None:
    """A tiny .xlsx whose zip directory promises 80 MB of XML (ratio ≈ 1000)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" * (80 << 20))
    path.write_bytes(buf.getvalue())


def parquet_orders(path: Path) -> None:
    duckdb.sql(
        "COPY (SELECT * FROM (VALUES ('P1', '0042', DATE '2024-03-01', CAST(10.5 AS DECIMAL(10,2)), 'paid'), "
        "('P2', '0043', DATE '2024-03-02', CAST(-3 AS DECIMAL(10,2)), 'refunded')) "
        "t(order_id, customer_id, order_date, amount, status)) TO '" + str(path) + "' (FORMAT parquet)"
    )


ZH_ORDERS = "订单号,客户编号,下单时间,实付金额,订单状态\n"
EN_ORDERS = "order_id,customer_id,order_date,amount,status\n"
CLEAN_ROWS_ZH = "A1,007,2024-01-05,100,已付款\nA2,008,2024-01-06,50.5,已付款\nA3,007,2024-01-07,20,已退款\n"
CLEAN_EXPECT: list[tuple] = [
    ("A1", "007", "2024-01-05", "100.00", "paid"),
    ("A2", "008", "2024-01-06", "50.50", "paid"),
    ("A3", "007", "2024-01-07", "20.00", "refunded"),
]
CUSTOMERS_SETUP = ("customers", "customer_id,name\n007,甲\n008,乙\n")

CASES: list[Case] = [
    # ---------------------------------------------------------------- encodings
    Case("utf8_zh_headers", "orders", "orders.csv", u8(ZH_ORDERS + CLEAN_ROWS_ZH), setup=[CUSTOMERS_SETUP],
         rows=CLEAN_EXPECT, rejects=[]),
    Case("utf8_bom", "orders", "orders_bom.csv", b"\xef\xbb\xbf" + u8(ZH_ORDERS + CLEAN_ROWS_ZH),
         rows=CLEAN_EXPECT, rejects=[], warnings={"unknown_customer": 3}),
    Case("gbk_crlf_chinese_excel", "orders", "订单导出.csv",
         (ZH_ORDERS + CLEAN_ROWS_ZH).replace("\n", "\r\n").encode("gbk"), rows=CLEAN_EXPECT, rejects=[]),
    Case("gb18030_char_outside_gbk", "customers", "客户.csv",
         "客户编号,姓名\n001,𠀋先生\n002,李㛃\n".encode("gb18030"),
         rows=[("001", "𠀋先生", None, None), ("002", "李㛃", None, None)], rejects=[]),
    Case("utf16_tab_unicode_text", "customers", "customers.txt",
         "客户编号\t姓名\t手机号\r\n001\t张三\t013800138000\r\n002\t李四\t+8613900000000\r\n".encode("utf-16"),
         rows=[("001", "张三", "013800138000", None), ("002", "李四", "+8613900000000", None)], rejects=[]),
    Case("gbk_file_forced_utf8_refused", "orders", "gbk_as_utf8.csv", (ZH_ORDERS + CLEAN_ROWS_ZH).encode("gbk"),
         options={"encoding": "utf-8"}, error=["gbk_as_utf8.csv"]),
    Case("unknown_encoding_name_refused", "orders", "orders_enc.csv", u8(EN_ORDERS + "A1,1,2024-01-05,1,paid\n"),
         options={"encoding": "klingon"}, error=["klingon"]),
    # ---------------------------------------------------------------- layout
    Case("semicolon_en", "orders", "orders_semicolon.csv",
         u8("Order No;Cust_ID;Order Date;Total Amount\nB1;C1;2024-02-01;10\nB2;C2;2024-02-02;20\n"),
         rows=[("B1", "C1", "2024-02-01", "10.00", "paid"), ("B2", "C2", "2024-02-02", "20.00", "paid")],
         rejects=[]),
    Case("pipe_delimited", "customers", "customers_pipe.txt",
         u8("Customer ID|Full Name|Mobile\n0001|Ann|555\n0002|Bob|556\n"),
         rows=[("0001", "Ann", "555", None), ("0002", "Bob", "556", None)], rejects=[]),
    Case("title_rows_above_header_zh", "customers", "客户名单.csv",
         u8("客户名单导出\n导出时间：2024-05-01\n\n客户编号,姓名,手机号\n001,张三,13800000000\n002,李四,13900000000\n"),
         rows=[("001", "张三", "13800000000", None), ("002", "李四", "13900000000", None)], rejects=[]),
    Case("header_only_refused", "orders", "header_only.csv", u8(ZH_ORDERS), error=["header_only.csv", "no data rows"]),
    Case("no_header_refused", "orders", "noheader.csv", u8("1,2024-01-05,100\n2,2024-01-06,200\n"),
         error=["noheader.csv", "no header"]),
    Case("malformed_lines_rejected", "orders", "broken.csv",
         u8(EN_ORDERS + "M1,C1,2024-01-05,10,paid\nM2,C1,2024-01-06,10,paid,EXTRA\nM3,C1\nM4,C1,2024-01-08,40,paid\n"),
         rows=[("M1", "C1", "2024-01-05", "10.00", "paid"), ("M4", "C1", "2024-01-08", "40.00", "paid")],
         rejects=[(3, "malformed_line", None), (4, "malformed_line", None)]),
    Case("extra_columns_kept", "customers", "extra.csv",
         u8("客户编号,姓名,会员等级,积分\n001,张三,金卡,120\n"),
         rows=[("001", "张三", None, None)], rejects=[]),
    # ---------------------------------------------------------------- file is not usable
    Case("empty_file_refused", "orders", "empty.csv", b"", error=["empty.csv", "empty"]),
    Case("whitespace_file_refused", "customers", "blank.csv", b"\r\n  \n\n", error=["blank.csv", "empty"]),
    Case("binary_refused", "orders", "data.csv", bytes(range(256)) * 40, error=["data.csv", "not a table"]),
    Case("pdf_renamed_csv_refused", "orders", "report.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
         error=["report.csv", "PDF"]),
    Case("missing_required_column_refused", "orders", "no_amount.csv",
         u8("订单号,客户编号,下单时间\nA1,007,2024-01-05\n"), error=["no_amount.csv", "amount"]),
    Case("orders_file_as_surveys_refused", "surveys", "orders_wrong_kind.csv", u8(ZH_ORDERS + CLEAN_ROWS_ZH),
         error=["orders_wrong_kind.csv", "orders"]),
    Case("surveys_file_as_orders_refused", "orders", "nps_wrong_kind.csv",
         u8("客户编号,调查日期,NPS\n007,2024-01-05,9\n"), error=["nps_wrong_kind.csv", "surveys"]),
    Case("customers_without_id_refused", "customers", "names_only.csv", u8("name,city\nAnn,Paris\n"),
         error=["names_only.csv", "customer id"]),
    # ---------------------------------------------------------------- dates
    Case("mixed_date_formats_zh", "orders", "mixed_dates.csv",
         u8(ZH_ORDERS + "D1,1,2024-01-05,1,\nD2,1,2024/1/6,1,\nD3,1,2024年1月7日,1,\nD4,1,20240108,1,\n"
            "D5,1,45300,1,\nD6,1,2024-01-10 14:30:00,1,\nD7,1,２０２４年１月１１日,1,\n"),
         rows=[("D1", "1", "2024-01-05", "1.00", "paid"), ("D2", "1", "2024-01-06", "1.00", "paid"),
               ("D3", "1", "2024-01-07", "1.00", "paid"), ("D4", "1", "2024-01-08", "1.00", "paid"),
               ("D5", "1", "2024-01-09", "1.00", "paid"), ("D6", "1", "2024-01-10", "1.00", "paid"),
               ("D7", "1", "2024-01-11", "1.00", "paid")], rejects=[]),
    Case("dayfirst_detected_from_data", "orders", "dotted.csv",
         u8(EN_ORDERS + "E1,1,05.01.2024,1,paid\nE2,1,13.01.2024,1,paid\n"),
         rows=[("E1", "1", "2024-01-05", "1.00", "paid"), ("E2", "1", "2024-01-13", "1.00", "paid")], rejects=[]),
    Case("monthfirst_detected_from_data", "orders", "us_dates.csv",
         u8(EN_ORDERS + "F1,1,01/05/2024,1,paid\nF2,1,01/13/2024,1,paid\n"),
         rows=[("F1", "1", "2024-01-05", "1.00", "paid"), ("F2", "1", "2024-01-13", "1.00", "paid")], rejects=[]),
    Case("ambiguous_dates_refused_until_answered", "orders", "ambiguous.csv",
         u8(EN_ORDERS + "G1,1,05.01.2024,1,paid\nG2,1,06.02.2024,1,paid\n"), error=["ambiguous.csv", "05.01.2024"]),
    Case("ambiguous_dates_answered_monthfirst", "orders", "ambiguous_answered.csv",
         u8(EN_ORDERS + "G1,1,05.01.2024,1,paid\nG2,1,06.02.2024,1,paid\n"), options={"dayfirst": False},
         rows=[("G1", "1", "2024-05-01", "1.00", "paid"), ("G2", "1", "2024-06-02", "1.00", "paid")], rejects=[]),
    Case("bad_dates_rejected", "orders", "bad_dates.csv",
         u8(EN_ORDERS + "H1,1,2024-02-30,1,paid\nH2,1,soon,1,paid\nH3,1,0024-01-05,1,paid\nH4,1,2024-03-01,1,paid\n"),
         rows=[("H4", "1", "2024-03-01", "1.00", "paid")],
         rejects=[(2, "bad_date", "order_date"), (3, "bad_date", "order_date"), (4, "bad_date", "order_date")]),
    Case("future_dates_loaded_and_flagged", "orders", "future.csv",
         u8(EN_ORDERS + "I1,1,2099-01-01,5,paid\n"),
         rows=[("I1", "1", "2099-01-01", "5.00", "paid")], rejects=[], warnings={"future_date": 1, "unknown_customer": 1}),
    # ---------------------------------------------------------------- amounts and status
    Case("amount_formats", "orders", "amounts.csv",
         u8(ZH_ORDERS + 'J1,1,2024-01-05,"¥1,234.50",\nJ2,1,2024-01-05,￥99,\nJ3,1,2024-01-05,$5.5,\n'
            "J4,1,2024-01-05,100元,\nJ5,1,2024-01-05,（３０）,\nJ6,1,2024-01-05,-20,\nJ7,1,2024-01-05,RMB 8.00,\n"),
         rows=[("J1", "1", "2024-01-05", "1234.50", "paid"), ("J2", "1", "2024-01-05", "99.00", "paid"),
               ("J3", "1", "2024-01-05", "5.50", "paid"), ("J4", "1", "2024-01-05", "100.00", "paid"),
               ("J5", "1", "2024-01-05", "-30.00", "refunded"), ("J6", "1", "2024-01-05", "-20.00", "refunded"),
               ("J7", "1", "2024-01-05", "8.00", "paid")], rejects=[], warnings={"negative_amount": 2, "unknown_customer": 7}),
    Case("bad_amounts_rejected", "orders", "bad_amounts.csv",
         u8(EN_ORDERS + "K1,1,2024-01-05,abc,paid\nK2,1,2024-01-05,,paid\nK3,1,2024-01-05,12..5,paid\n"
            "K4,1,2024-01-05,7,paid\n"),
         rows=[("K4", "1", "2024-01-05", "7.00", "paid")],
         rejects=[(2, "bad_amount", "amount"), (3, "missing_value", "amount"), (4, "bad_amount", "amount")]),
    Case("status_words_zh_en", "orders", "status.csv",
         u8(ZH_ORDERS + "L1,1,2024-01-05,1,已退款\nL2,1,2024-01-05,1,已取消\nL3,1,2024-01-05,1,refund\n"
            "L4,1,2024-01-05,1,Cancelled\nL5,1,2024-01-05,1,交易成功\nL6,1,2024-01-05,1,未退款\n"),
         rows=[("L1", "1", "2024-01-05", "1.00", "refunded"), ("L2", "1", "2024-01-05", "1.00", "cancelled"),
               ("L3", "1", "2024-01-05", "1.00", "refunded"), ("L4", "1", "2024-01-05", "1.00", "cancelled"),
               ("L5", "1", "2024-01-05", "1.00", "paid"), ("L6", "1", "2024-01-05", "1.00", "paid")], rejects=[]),
    Case("missing_ids_rejected", "orders", "missing_ids.csv",
         u8(EN_ORDERS + ",1,2024-01-05,1,paid\nN2,,2024-01-05,1,paid\nN3, ,2024-01-05,1,paid\n"),
         rows=[], rejects=[(2, "missing_value", "order_id"), (3, "missing_value", "customer_id"),
                           (4, "missing_value", "customer_id")]),
    # ---------------------------------------------------------------- ids stay text
    Case("ids_keep_leading_zeros_and_wrappers", "customers", "ids.csv",
         u8('客户编号,姓名,手机号\n="00123",甲,="013912345678"\n\'00124,乙,0139 1234 5679\n00125,丙,1.3E+10\n'),
         rows=[("00123", "甲", "013912345678", None), ("00124", "乙", "0139 1234 5679", None),
               ("00125", "丙", "1.3E+10", None)], rejects=[]),
    Case("optional_bad_signup_date_kept_in_extra", "customers", "signup.csv",
         u8("customer id,name,signup date\nX1,Ann,2023-05-06\nX2,Bob,last spring\n"),
         rows=[("X1", "Ann", None, "2023-05-06"), ("X2", "Bob", None, None)], rejects=[]),
    # ---------------------------------------------------------------- keys and modes
    Case("duplicate_customer_ids_last_wins", "customers", "dups.csv",
         u8("客户编号,姓名\n001,旧名\n002,乙\n001,新名\n"),
         rows=[("001", "新名", None, None), ("002", "乙", None, None)], rejects=[(2, "duplicate_in_file", "customer_id")]),
    Case("append_existing_customers_rejected", "customers", "again.csv", u8("客户编号,姓名\n007,甲2\n009,丙\n"),
         setup=[CUSTOMERS_SETUP],
         rows=[("007", "甲", None, None), ("008", "乙", None, None), ("009", "丙", None, None)],
         rejects=[(2, "already_exists", "customer_id")]),
    Case("upsert_updates_and_adds", "customers", "upsert.csv", u8("客户编号,姓名\n007,甲2\n009,丙\n"),
         mode="upsert", setup=[CUSTOMERS_SETUP],
         rows=[("007", "甲2", None, None), ("008", "乙", None, None), ("009", "丙", None, None)], rejects=[]),
    Case("replace_swaps_whole_table", "customers", "replace.csv", u8("客户编号,姓名\n100,新\n"),
         mode="replace", setup=[CUSTOMERS_SETUP], rows=[("100", "新", None, None)], rejects=[]),
    Case("orders_repeated_id_are_lines", "orders", "lines.csv",
         u8(EN_ORDERS + "Q1,1,2024-01-05,10,paid\nQ1,1,2024-01-05,5,paid\n"),
         rows=[("Q1", "1", "2024-01-05", "10.00", "paid"), ("Q1", "1", "2024-01-05", "5.00", "paid")],
         rejects=[], warnings={"repeated_order_id": 1, "unknown_customer": 2}),
    # ---------------------------------------------------------------- surveys
    Case("nps_header_zh_out_of_range", "surveys", "nps.csv",
         u8("客户编号,调查日期,NPS评分,评论\n007,2024-01-05,10,很好\n008,2024-01-06,0,差\n007,2024-01-07,11,?\n"),
         rows=[("007", "2024-01-05", "nps", 10, "survey"), ("008", "2024-01-06", "nps", 0, "survey")],
         rejects=[(4, "score_out_of_range", "score")]),
    Case("csat_detected_from_scores_en", "surveys", "csat.csv",
         u8("customer_id,survey_date,rating\nC1,2024-01-05,5\nC2,2024-01-06,1\nC3,2024-01-07,4\n"),
         rows=[("C1", "2024-01-05", "csat", 5, "survey"), ("C2", "2024-01-06", "csat", 1, "survey"),
               ("C3", "2024-01-07", "csat", 4, "survey")], rejects=[]),
    Case("complaints_without_score", "surveys", "complaints.csv",
         u8("客户编号,日期,类型,评分,内容\n007,2024-01-05,投诉,,发货慢\n008,2024-01-06,问卷,8,\n009,2024-01-07,问卷,,\n"),
         rows=[("007", "2024-01-05", None, None, "complaint"), ("008", "2024-01-06", "nps", 8, "survey")],
         rejects=[(4, "missing_value", "score")], options={"scale": "nps"}),
    Case("bad_scores_rejected", "surveys", "scores.csv",
         u8("customer_id,survey_date,score\nC1,2024-01-05,很好\nC2,2024-01-06,8.5\nC3,2024-01-07,９\n"),
         options={"scale": "nps"}, rows=[("C3", "2024-01-07", "nps", 9, "survey")],
         rejects=[(2, "bad_score", "score"), (3, "bad_score", "score")]),
    Case("survey_generated_ids_collapse_exact_duplicates", "surveys", "dup_answers.csv",
         u8("customer_id,survey_date,score\nC1,2024-01-05,9\nC1,2024-01-05,9\nC1,2024-01-06,9\n"),
         options={"scale": "nps"},
         rows=[("C1", "2024-01-05", "nps", 9, "survey"), ("C1", "2024-01-06", "nps", 9, "survey")],
         rejects=[(2, "duplicate_in_file", "survey_id")]),
    # ---------------------------------------------------------------- Excel and Parquet
    Case("xlsx_title_rows_number_cells", "customers", "客户.xlsx",
         xlsx({"客户": [["客户资料"], [], ["客户编号", "姓名", "手机号", "注册日期"],
                        ["007", "张三", 13800138000, dt.date(2024, 1, 5)],
                        [], [8, "李四", 13900139000, 45300]]}),
         rows=[("007", "张三", "13800138000", "2024-01-05"), ("8", "李四", "13900139000", "2024-01-09")],
         rejects=[]),
    Case("xlsx_choose_second_sheet", "orders", "book.xlsx",
         xlsx({"说明": [["这是说明页"]], "订单": [["订单号", "客户编号", "下单日期", "金额"],
                                               ["X1", "1", dt.date(2024, 2, 1), 12.5], ["X2", "1", "坏日期", 3]]}),
         options={"sheet": "订单"}, rows=[("X1", "1", "2024-02-01", "12.50", "paid")],
         rejects=[(3, "bad_date", "order_date")]),
    Case("xlsx_missing_sheet_refused", "orders", "book2.xlsx", xlsx({"Sheet1": [["order_id"]]}),
         options={"sheet": "订单"}, error=["book2.xlsx", "订单"]),
    Case("xlsx_zip_bomb_refused", "orders", "bomb.xlsx", zip_bomb, error=["bomb.xlsx", "MB"]),
    Case("xlsx_truncated_refused", "orders", "broken.xlsx",
         lambda p: (xlsx({"S": [["order_id"]]})(p), p.write_bytes(p.read_bytes()[:300])),
         error=["broken.xlsx"]),
    Case("xls_garbage_refused", "orders", "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
         error=["old.xls", "Excel"]),
    Case("parquet_typed_columns", "orders", "orders.parquet", parquet_orders,
         rows=[("P1", "0042", "2024-03-01", "10.50", "paid"), ("P2", "0043", "2024-03-02", "-3.00", "refunded")],
         rejects=[]),
]
