"""Texts shared by the whole app: navigation, sidebar, common words, metric names."""

TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("Kehu 客户管理看板", "Kehu customer dashboard"),
    "app.tagline": (
        "上传你已有的客户、订单与满意度文件，看清谁是重要客户、谁在流失、为什么，以及本周该跟进谁。",
        "Drop in the customer, order and survey files you already have and see who matters most, "
        "who is drifting away and why, and who to call this week.",
    ),
    "nav.overview": ("总览", "Overview"),
    "nav.data": ("数据", "Data"),
    "nav.customers": ("客户", "Customers"),
    "nav.segments": ("客户细分", "Segments"),
    "nav.lifecycle": ("生命周期", "Lifecycle"),
    "nav.churn": ("流失预警", "Churn warning"),
    "nav.satisfaction": ("满意度", "Satisfaction"),
    "nav.followup": ("跟进计划", "Follow-up plan"),
    "nav.whatif": ("模拟", "What-if"),
    "nav.admin": ("管理", "Admin"),
    "nav.group.analyse": ("分析", "Analyse"),
    "nav.group.act": ("行动", "Act"),
    "nav.group.manage": ("管理", "Manage"),
    "sidebar.language": ("语言 / Language", "语言 / Language"),
    "sidebar.as_of": ("参考日期", "Reference date"),
    "sidebar.as_of_help": (
        "所有指标按此日期计算；之后的订单视为尚未发生。默认为数据中最新的下单日期。",
        "Every metric is computed as of this date; later orders are ignored. "
        "Default: the latest order date in the data.",
    ),
    "sidebar.range": ("日期范围", "Date range"),
    "sidebar.range_help": (
        "趋势图、总览的「所选日期范围」指标、生命周期历史与同期群、满意度与投诉统计都只看这段时间内发生的事；"
        "客户细分、价值分层、生命周期阶段和流失风险仍按参考日期判断。",
        "Trends, the Overview's \"selected date range\" KPIs, lifecycle history and cohorts, and "
        "satisfaction and complaint figures count only what happened in this range; segments, value "
        "tiers, lifecycle stages and churn risk are still judged as of the reference date.",
    ),
    "sidebar.range.3m": ("近 3 个月", "Last 3 months"),
    "sidebar.range.6m": ("近 6 个月", "Last 6 months"),
    "sidebar.range.12m": ("近 12 个月", "Last 12 months"),
    "sidebar.range.24m": ("近 24 个月", "Last 24 months"),
    "sidebar.range.ytd": ("今年以来", "Year to date"),
    "sidebar.range.all": ("全部历史", "All history"),
    "sidebar.range.custom": ("自定义…", "Custom…"),
    "sidebar.range_custom": ("起止日期", "From – to"),
    "sidebar.range_shows": ("{start} 至 {end}", "{start} to {end}"),
    "sidebar.segment": ("客户细分", "RFM segment"),
    "sidebar.segment_help": (
        "只看所选细分的客户（按参考日期、在其余筛选条件下计算的细分）。"
        "客户的细分、分层和风险不会因此改变。",
        "Only customers in the chosen segments (as of the reference date, computed within the "
        "other filters). Nobody's segment, tier or risk changes because of this choice.",
    ),
    "filterbar.prefix": ("当前筛选：", "Filtered: "),
    "filterbar.segment": ("细分 {values}", "segment {values}"),
    "filterbar.region": ("区域 {values}", "region {values}"),
    "filterbar.channel": ("渠道 {values}", "channel {values}"),
    "filterbar.owner": ("客户经理 {values}", "account manager {values}"),
    "filterbar.range": ("日期范围 {start} 至 {end}", "date range {start} to {end}"),
    "filterbar.clear": ("清除筛选", "Clear filters"),
    # Vega label expression of money axes: 万/亿 in Chinese (as the cards), SI (k, M) in English
    "chart.money_labels": (
        "abs(datum.value) >= 100000000 ? format(datum.value / 100000000, '~g') + '亿' : "
        "abs(datum.value) >= 10000 ? format(datum.value / 10000, '~g') + '万' : format(datum.value, ',~g')",
        "format(datum.value, '~s')",
    ),
    "sidebar.filters": ("筛选", "Filters"),
    "sidebar.region": ("区域", "Region"),
    "sidebar.channel": ("渠道", "Channel"),
    "sidebar.owner": ("客户经理", "Account manager"),
    "sidebar.all": ("全部", "All"),
    "sidebar.data_note": ("数据库：{path}", "Database: {path}"),
    "common.coming_soon": (
        "此页面将在下一个版本中提供。",
        "This view is coming in the next release.",
    ),
    "common.no_data": ("暂无数据。", "No data yet."),
    "common.customers": ("客户", "customers"),
    "common.orders": ("订单", "orders"),
    "common.surveys": ("问卷", "survey answers"),
    "common.download_csv": ("下载 CSV", "Download CSV"),
    "common.download_xlsx": ("下载 Excel", "Download Excel"),
    "common.error_detail": ("详细信息", "Details"),
    "common.unexpected_error": (
        "出现了意外错误，数据未被修改。请重试；若问题持续，请把详细信息发给管理员。",
        "Something unexpected went wrong; no data was changed. Try again, and if it persists "
        "send the details to your administrator.",
    ),
    "common.n": ("样本数 n = {n}", "n = {n}"),
    "kpi.revenue": ("营收", "Revenue"),
    "kpi.customers": ("客户总数", "Customers"),
    "kpi.active_customers": ("有效客户", "Active buyers"),
    "kpi.new_customers": ("新客户", "New customers"),
    "kpi.repeat_rate": ("复购率", "Repeat rate"),
    "kpi.churn_rate": ("流失率", "Churn rate"),
    "kpi.nps": ("净推荐值 NPS", "NPS"),
    "kpi.csat": ("满意度 CSAT", "CSAT"),
    "kpi.orders": ("订单数", "Orders"),
    "kpi.aov": ("客单价", "Average order value"),
    "kpi.followups_done": ("已完成跟进", "Follow-ups done"),
}
