"""Texts of the Overview 总览 page."""

TEXT: dict[str, tuple[str, str]] = {
    "overview.subtitle": (
        "截至 {as_of} · {start} 至 {end}，对比 {prev_start} 至 {prev_end}",
        "As of {as_of} · {start} to {end}, compared with {prev_start} to {prev_end}",
    ),
    "overview.period": ("统计周期", "Period"),
    "overview.period.month": ("月", "Month"),
    "overview.period.quarter": ("季度", "Quarter"),
    "overview.period.year": ("年", "Year"),
    "overview.period.range": ("所选日期范围", "Selected date range"),
    "overview.demo_banner": (
        "你正在查看**演示数据**：一家虚构公司，2,000 位客户、三年订单与满意度问卷。"
        "在「数据」页上传你自己的客户、订单和问卷文件（CSV、Excel 或 Parquet，中英文表头、GBK 编码均可），"
        "看板会立即换成你的数据。",
        "You are looking at **demo data**: a fictional company with 2,000 customers, three years of "
        "orders and survey answers. Upload your own customer, order and survey files on the Data page "
        "(CSV, Excel or Parquet; Chinese or English headers; GBK is fine) and the dashboard switches to them.",
    ),
    "overview.load_own": ("上传我的数据", "Load my own data"),
    "overview.empty": (
        "数据库中还没有订单。请先在「数据」页导入客户和订单文件。",
        "There are no orders in the database yet. Import your customer and order files on the Data page first.",
    ),
    "overview.target": ("目标 {target} · 达成 {progress}", "Target {target} · {progress} reached"),
    "overview.target_lower": ("目标 ≤ {target}", "Target ≤ {target}"),
    "overview.no_target": ("未设目标", "No target set"),
    "overview.target_company": ("全公司目标 {target}（已筛选，不比较）", "Company target {target} (filtered: not compared)"),
    "overview.target_partial": (
        "目标仅覆盖 {covered}/{needed} 个月",
        "Targets cover {covered} of {needed} months only",
    ),
    "overview.prev": ("上期 {value}", "Previous {value}"),
    "overview.def.revenue": ("期内订单的净金额（退款冲减，取消不计）。", "Net amount of the period's orders (refunds subtract, cancellations count 0)."),
    "overview.def.active_customers": (
        "期末时最近 {days} 天内下过单（尚未流失）的客户，即新客、活跃、忠诚与预警阶段之和；"
        "不同于生命周期中的「活跃客户」阶段。",
        "Customers whose last order is at most {days} days old at the period end (not churned): "
        "the new, active, loyal and at-risk stages together — not the lifecycle stage \"active\".",
    ),
    "overview.def.new_customers": ("首单（有史以来第一单）落在期内的客户。", "Customers whose first order ever falls in the period."),
    "overview.def.repeat_rate": ("期内下单客户中，截至期末累计下单 ≥ 2 次的比例。",
                                 "Of the period's buyers, the share with 2 or more orders by the period end."),
    "overview.def.churn_rate": ("期初有效的客户中，到期末已超过 {days} 天未下单的比例。",
                                "Of the customers active at the period start, the share silent for over {days} days at its end."),
    "overview.def.nps": ("期内 NPS 答卷：推荐者（9–10）占比减贬损者（0–6）占比。",
                         "The period's NPS answers: % promoters (9–10) minus % detractors (0–6)."),
    "overview.def.csat": ("期内 CSAT 答卷中 4–5 分的比例。", "Share of the period's CSAT answers that are 4 or 5."),
    "overview.def.followups_done": ("期内到期的跟进：已完成 / 计划（不含已取消）。",
                                    "Follow-ups due in the period: done / planned (cancelled ones left out)."),
    "overview.followups_value": ("{done} / {planned}", "{done} / {planned}"),
    "overview.kpi.followups": ("跟进完成 / 计划", "Follow-ups done / planned"),
    "overview.trend.revenue": ("营收（元）", "Revenue (¥)"),
    "overview.trend.active": ("有效客户数", "Active buyers"),
    "overview.trend.month": ("月份", "Month"),
    "overview.trend.revenue_title": ("月度营收", "Monthly revenue"),
    "overview.trend.days": ("计入日期", "Days counted"),
    "overview.trend.at": ("统计日", "Counted on"),
    "overview.trend.active_title": ("月末有效客户数", "Active buyers at month end"),
    "overview.stages.title": ("生命周期分布（n = {n}）", "Customers by lifecycle stage (n = {n})"),
    "overview.stages.stage": ("阶段", "Stage"),
    "overview.stages.customers": ("客户数", "Customers"),
    "overview.stages.share": ("占比", "Share"),
    "overview.alerts": ("需要关注", "Needs attention"),
    "overview.alert.detractors": ("新增高价值贬损者", "New high-value detractors"),
    "overview.alert.detractors_help": (
        "A/B 类客户，最近 30 天内最新一次 NPS 评分为 0–6 分。",
        "Tier A/B customers whose latest NPS answer, in the last 30 days, was 0–6.",
    ),
    "overview.alert.overdue": ("逾期跟进", "Overdue follow-ups"),
    "overview.alert.overdue_help": ("状态为计划中且已过截止日期的跟进。", "Planned follow-ups past their due date."),
    "overview.alert.at_risk": ("新进入预警的客户", "Customers newly at risk"),
    "overview.alert.at_risk_help": (
        "30 天前为新客/活跃/忠诚，现在进入预警阶段的客户，按价值排序。",
        "Customers who were new, active or loyal 30 days ago and are at risk now, most valuable first.",
    ),
    "overview.alert.neglected": ("高价值客户久未跟进", "Valuable customers not followed up"),
    "overview.alert.neglected_help": (
        "累计消费不低于 {value}（前 20%）的客户，最近 {days} 天没有跟进、也没有已安排的跟进。",
        "Customers who spent at least {value} (the top 20 %) with no follow-up in the last {days} days "
        "and none planned.",
    ),
    "overview.alert.none": ("暂无", "None right now"),
    "overview.alert.open": ("查看列表", "Open the list"),
    "overview.col.customer": ("客户", "Customer"),
    "overview.col.owner": ("客户经理", "Owner"),
    "overview.col.value": ("累计消费", "Spend"),
    "overview.col.detail": ("说明", "Detail"),
    "overview.detail.nps": ("NPS {score}", "NPS {score}"),
    "overview.detail.due": ("应于 {date}", "due {date}"),
    "overview.detail.spend": ("累计消费 {value}", "spent {value}"),
    "overview.detail.silent": ("{days} 天未下单", "{days} days without an order"),
}
